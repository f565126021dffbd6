import decisionframe


def test_all_names_exist_and_are_sorted_unique() -> None:
    names = decisionframe.__all__
    assert len(names) == len(set(names))
    for name in names:
        assert hasattr(decisionframe, name), name
