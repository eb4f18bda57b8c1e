"""Round 7 (docs/matching.md): a sale is no joint project. Sellers (offers for sale, hire or a fee, or needs
for customers) are damped, and the words that mark selling make no common ground."""

from matching import MatchConfig, Matcher
from matching.thesaurus import load_thesaurus
from tests.matching.people import prof


def population():
    school = prof("school", needs=["lessen met 3D-printers en lasersnijders"], role="school")
    # The seller's offer shares more words with the school's need than the maker space's does.
    seller = prof(
        "seller",
        offers=["3D-printers en lasersnijders voor lessen, met onderwijskorting"],
        needs=["nieuwe klanten in het onderwijs"],
    )
    makers = prof(
        "makers", offers=["lessen in ons fablab met 3D-printers"], needs=["vrijwilligers"], role="other"
    )
    others = [
        prof("installer", offers=["gastles installatietechniek"], needs=["stagiairs"]),
        prof("roc", offers=["stagiairs"], needs=["gastles"], role="mbo"),
    ]
    return [school, seller, makers, *others]


def test_a_seller_ranks_below_a_partner_who_offers_the_same_thing_as_a_project():
    people = population()
    undamped = Matcher(people, MatchConfig(commerce_penalty=1.0))
    damped = Matcher(people)
    assert [s.other_id for s in undamped.suggest_for("school", top_k=2)] == ["seller", "makers"]
    assert [s.other_id for s in damped.suggest_for("school", top_k=2)] == ["makers", "seller"]
    assert damped.score("school", "seller") < undamped.score("school", "seller")


def test_who_sells_is_read_from_offers_for_sale_and_needs_for_customers_in_both_languages():
    people = [
        prof("lease", offers=["robotmaaiers (verkoop en lease)"]),
        prof("hire", offers=["zaal te huur voor bedrijfsuitjes"], role="other"),
        prof("leads", needs=["leads and new customers in Gelderland"]),
        prof("resellers", needs=["distributors and resellers"]),
        prof("agency", offers=["monteurs op detacheringsbasis"]),
        # Seeking those who buy or rent is seeking customers (a verb frame, data/combinations.txt).
        prof("venue", needs=["organisaties die een zaal huren"], role="other"),
        prof("printers", needs=["scholen die een 3D-printer willen kopen"]),
        # Buying, money given and members are no selling: a school that wants to buy, a fund, a club.
        prof("buyer", needs=["geld voor de aanschaf van een lasrobot"], role="school"),
        prof("fund", offers=["vergoeding van €500 per leerling"], role="government"),
        prof("club", offers=["leden die handig zijn"], needs=["nieuwe leden"], role="other"),
        prof("partner", offers=["gastlessen over robotica"]),
    ]
    index = Matcher(people)._index
    sells = {p.id: bool(index.sells[i]) for i, p in enumerate(people)}
    assert sells == {
        "lease": True,
        "hire": True,
        "leads": True,
        "resellers": True,
        "agency": True,
        "venue": True,
        "printers": True,
        "buyer": False,
        "fund": False,
        "club": False,
        "partner": False,
    }


def test_selling_words_make_no_common_ground():
    # A platform that offers installers new customers and an installer who seeks them share no project.
    people = [
        prof("platform", offers=["nieuwe klanten voor installateurs"]),
        prof("installer", offers=["gastlessen"], needs=["nieuwe klanten"]),
        prof("school", offers=["stagiairs"], needs=["gastlessen"], role="school"),
    ]
    matcher = Matcher(people, MatchConfig(commerce_penalty=1.0))
    assert matcher.score("platform", "installer") == 0.0
    assert matcher.score("school", "installer") > 0.0
    kinds = load_thesaurus().kinds
    assert kinds["verkoop"] == "sale" and kinds["klant"] == "customer"
