"""A run's output is capped in total across its two channels, and decoded leniently."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from handyman_runner.run_output import Channel, RunOutput

chunks = st.lists(st.tuples(st.sampled_from(Channel), st.binary(max_size=64)), max_size=20)


@given(st.integers(min_value=0, max_value=512), chunks)
def test_the_output_is_what_was_written_up_to_the_cap(
    cap: int, written: list[tuple[Channel, bytes]]
) -> None:
    output = RunOutput(cap)
    accepted = [output.append(channel, data) for channel, data in written]
    total = sum(len(data) for _, data in written)
    kept = {channel: b"" for channel in Channel}
    room = cap
    for channel, data in written:
        kept[channel] += data[: max(room, 0)]
        room -= len(data)
    for channel in Channel:
        assert output.text(channel) == kept[channel].decode("utf-8", errors="replace")
    assert output.truncated == (total > cap)
    assert all(accepted) == (total <= cap)


def test_a_character_split_across_appends_is_decoded_whole() -> None:
    output = RunOutput(1024)
    encoded = "é".encode()
    output.append(Channel.USER_CODE, encoded[:1])
    output.append(Channel.USER_CODE, encoded[1:])
    assert output.text(Channel.USER_CODE) == "é"


def test_output_so_far_shows_the_program_before_the_tests() -> None:
    output = RunOutput(1024)
    output.append(Channel.TESTS, b"tests\n")
    output.append(Channel.USER_CODE, b"program\n")
    assert output.so_far() == "program\ntests\n"
