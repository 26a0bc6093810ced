from hypothesis import given
from hypothesis import strategies as st

from mizan.core import references

prefixes = st.sampled_from(["PLT", "GRC", "LSC", "RCL", "QST"])
years = st.integers(min_value=2020, max_value=2099)
sequences = st.integers(min_value=1, max_value=999_999)


@given(prefixes, years, sequences)
def test_a_formatted_reference_is_valid_and_canonical(prefix, year, sequence):
    reference = references.format_reference(prefix, year, sequence)
    assert references.is_valid(reference)
    assert references.canonical(reference) == reference
    # As typed from an SMS: lower case, spaces instead of hyphens, O for 0.
    typed = reference.lower().replace("-", " ").replace("0", "o")
    assert references.canonical(typed) == reference


@given(prefixes, years, sequences, st.data())
def test_every_single_substitution_is_rejected(prefix, year, sequence, data):
    compact = references.normalise(references.format_reference(prefix, year, sequence))
    position = data.draw(st.integers(min_value=0, max_value=len(compact) - 1))
    replacement = data.draw(
        st.sampled_from([s for s in references.ALPHABET if s != compact[position]])
    )
    typo = compact[:position] + replacement + compact[position + 1 :]
    assert not references.is_valid(typo)


def test_every_substitution_and_adjacent_swap_of_one_reference_exhaustively():
    compact = references.normalise(references.format_reference("PLT", 2026, 4817))
    for position in range(len(compact)):
        for replacement in references.ALPHABET:
            if replacement != compact[position]:
                typo = compact[:position] + replacement + compact[position + 1 :]
                assert not references.is_valid(typo), typo
    for position in range(len(compact) - 1):
        a, b = compact[position], compact[position + 1]
        if a != b:
            swapped = compact[:position] + b + a + compact[position + 2 :]
            assert not references.is_valid(swapped), swapped


@given(prefixes, years, sequences, st.data())
def test_every_adjacent_swap_is_rejected(prefix, year, sequence, data):
    compact = references.normalise(references.format_reference(prefix, year, sequence))
    swappable = [i for i in range(len(compact) - 1) if compact[i] != compact[i + 1]]
    position = data.draw(st.sampled_from(swappable))
    swapped = (
        compact[:position] + compact[position + 1] + compact[position] + compact[position + 2 :]
    )
    assert not references.is_valid(swapped)


def test_garbage_is_not_a_reference():
    for text in ["", "PLT", "PLT-2026-ABC123-K", "hello world", "PLT-2026-004817-"]:
        assert references.canonical(text) is None
