import pytest

from matching import Profile, ProfileFileError, load_profiles_csv

HEADER = "id,name,organisation,role,region,offers,needs,interests"


def test_reads_lists_roles_regions_and_ignores_extra_columns():
    text = (
        "\ufeff"
        + HEADER
        + ",extra\n"
        + ('p1,Anna,Vmbo X,vmbo,Arnhem Nijmegen,gastles; rondleiding ,stage;;BPV,"energie; food",whatever\n')
    )
    [p] = load_profiles_csv(text)
    assert p == Profile(
        id="p1",
        name="Anna",
        organisation="Vmbo X",
        role="school",
        region="arnhem-nijmegen",
        reach="anywhere",
        offers=("gastles", "rondleiding"),
        needs=("stage", "BPV"),
        themes=("energie", "food"),
    )


def test_optional_reach_and_active_columns():
    text = (
        HEADER + ",reach,active\np1,A,O,bedrijf,Ede,x,y,z,eigen regio,gepauzeerd\np2,B,P,mbo,Tiel,x,y,z,,\n"
    )
    p1, p2 = load_profiles_csv(text)
    assert (p1.reach, p1.active) == ("own", False)
    assert (p2.reach, p2.active) == ("anywhere", True)


def test_header_names_are_case_insensitive_and_blank_lines_skipped():
    text = HEADER.upper() + "\n\np1,A,O,school,Ede,a,b,c\n\n"
    assert [p.id for p in load_profiles_csv(text)] == ["p1"]


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("", 1, "empty file"),
        ("id,name\np1,A\n", 1, "missing column"),
        (HEADER + "\np1,A,O,school,Ede,a,b,c\np2,B,O,school,Ede,a,b\n", 3, "expected 8 fields"),
        (HEADER + "\np1,A,O,school,Ede,a,b,c\np1,B,O,school,Ede,a,b,c\n", 3, "duplicate id"),
        (HEADER + "\n,A,O,school,Ede,a,b,c\n", 2, "empty id"),
        (HEADER + ",reach\np1,A,O,school,Ede,a,b,c,somewhere odd\n", 2, "unknown reach"),
        # a quoted field spanning lines: the error names the line where the bad row starts
        (HEADER + '\np1,A,O,school,Ede,"a\nb",c,d\np2,B,O,school,Ede,a,b\n', 4, "expected 8 fields"),
    ],
)
def test_malformed_files_name_the_line(text, line, fragment):
    with pytest.raises(ProfileFileError) as info:
        load_profiles_csv(text)
    assert info.value.line == line
    assert fragment in str(info.value)
    assert f"line {line}" in str(info.value)
