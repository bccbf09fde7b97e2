import pytest

from deepnotes.core import Registry, UnknownNameError, syllabus
from deepnotes.core.syllabus import find_test_markers, item, table


def test_unknown_name_suggests_close_matches():
    reg = Registry("model")
    reg.register("resnet18", object())
    reg.register("resnet34", object())
    with pytest.raises(UnknownNameError) as e:
        reg.get("resnet19")
    assert e.value.suggestions[:1] == ["resnet18"] and "did you mean" in str(e.value)
    with pytest.raises(ValueError, match="registered twice"):
        reg.register("resnet18", object())


def test_syllabus_decorator_rejects_unknown_ids_and_records_known_ones():
    with pytest.raises(UnknownNameError, match="optimization.adam"):
        syllabus("optimization.adamm")

    @syllabus("optimization.adam")
    def f():
        pass
    assert f.__syllabus__ == ("optimization.adam",)


def test_table_holds_every_item_once():
    ids = [i["id"] for i in table()["items"]]
    assert len(ids) == len(set(ids)) == 454
    assert item("exp.foundations.linreg_gd_surface")["chapter"] == "foundations"


def test_test_markers_are_found_statically(tmp_path):
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_x.py").write_text(
        'import pytest\n\n@pytest.mark.syllabus("optimization.adam", "optimization.radam")\ndef test_a():\n    pass\n')
    found = find_test_markers(tmp_path / "tests")
    assert found["optimization.radam"] == ["tests/test_x.py::test_a"]
