"""AudibilityMeter and StemBlocks: streaming gives the whole-signal result, inputs are checked."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import soundfile as sf
import stem_signals as sig

from mezzo.errors import AudioFileError, AudioInputError, ParameterError
from mezzo.meters.audibility import AudibilityMeter, audibility
from mezzo.meters.stem_blocks import StemBlocks


@pytest.fixture(scope="module")
def stems() -> dict[str, np.ndarray]:
    lead = sig.ride(sig.lead(6.0, -32.0), [(2.0, 0.0), (2.2, -24.0), (4.0, -24.0), (4.2, 0.0)])
    return {"lead": lead.astype(np.float32), "pad": sig.pad(6.0, -20.0).astype(np.float32)}


def _feed(stems: dict[str, np.ndarray], cuts: list[int]) -> object:
    meter = AudibilityMeter(sig.SR, list(stems))
    edges = [0, *cuts, next(iter(stems.values())).shape[1]]
    for a, b in itertools.pairwise(edges):
        meter.update({n: x[:, a:b] for n, x in stems.items()})
    return meter.result()


def test_any_split_of_the_blocks_gives_the_whole_signal_result(stems, rng) -> None:
    whole = _feed(stems, [])
    n = stems["lead"].shape[1]
    for _ in range(3):
        cuts = sorted(rng.choice(np.arange(1, n), size=int(rng.integers(1, 40)), replace=False).tolist())
        split = _feed(stems, cuts)
        for a, b in zip(whole.stems, split.stems, strict=True):
            np.testing.assert_array_equal(a.audibility, b.audibility)
            assert a.buried == b.buried and a.loudness_lufs == b.loudness_lufs


def test_result_can_be_read_mid_stream_without_ending_it(stems) -> None:
    meter = AudibilityMeter(sig.SR, list(stems))
    half = stems["lead"].shape[1] // 2
    meter.update({n: x[:, :half] for n, x in stems.items()})
    early = meter.result()
    meter.update({n: x[:, half:] for n, x in stems.items()})
    assert early.duration_s == pytest.approx(3.0)
    whole = _feed(stems, [])
    np.testing.assert_array_equal(meter.result().stem("lead").audibility, whole.stem("lead").audibility)


def test_a_mono_stem_mixes_with_stereo_ones(stems) -> None:
    result = audibility({"lead": stems["lead"][0], "pad": stems["pad"]}, sig.SR)
    assert result.stem("lead").buried[0].masked_by == ("pad",)


def test_stems_of_different_channel_counts_are_refused(stems) -> None:
    six = np.zeros((6, stems["pad"].shape[1]), np.float32)
    with pytest.raises(AudioInputError, match="different channel counts"):
        audibility({"lead": stems["lead"], "surround": six}, sig.SR)


@pytest.mark.parametrize(
    ("stems_arg", "match"),
    [
        ({"lead": np.zeros(100)}, "at least two"),
        (np.zeros((2, 100)), "must be several"),
        ({"a": np.zeros(100), "b": "missing.wav"}, "missing.wav"),
    ],
)
def test_bad_stem_sets_are_refused(stems_arg, match) -> None:
    with pytest.raises((ParameterError, AudioFileError), match=match):
        audibility(stems_arg, sig.SR)


def test_arrays_need_a_sample_rate(stems) -> None:
    with pytest.raises(ParameterError, match="sample_rate is required"):
        audibility(stems)


def test_full_scale_level_is_checked(stems) -> None:
    with pytest.raises(ParameterError, match="full_scale_spl_db"):
        audibility(stems, sig.SR, full_scale_spl_db=200.0)


def test_files_with_the_same_name_are_refused(tmp_path, stems) -> None:
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        sf.write(tmp_path / folder / "lead.wav", stems["lead"].T, sig.SR)
    with pytest.raises(ParameterError, match="'lead' appear more than once"):
        audibility([tmp_path / "a" / "lead.wav", tmp_path / "b" / "lead.wav"])


def test_file_blocks_are_padded_to_the_longest(tmp_path) -> None:
    sf.write(tmp_path / "short.wav", np.ones((1000, 2)) * 0.5, sig.SR, subtype="FLOAT")
    sf.write(tmp_path / "long.wav", np.ones((150_000, 1)) * 0.25, sig.SR, subtype="FLOAT")
    with StemBlocks([tmp_path / "short.wav", tmp_path / "long.wav"], block_samples=65536) as source:
        blocks = list(source)
    assert source.names == ("short", "long") and source.frames == 150_000
    short = np.concatenate([b["short"] for b in blocks], axis=1)
    long = np.concatenate([b["long"] for b in blocks], axis=1)
    assert short.shape == (2, 150_000) and long.shape == (1, 150_000)
    assert np.all(short[:, :1000] == 0.5) and np.all(short[:, 1000:] == 0.0) and np.all(long == 0.25)


def test_buried_threshold_is_checked(stems) -> None:
    with pytest.raises(ParameterError, match="buried_below"):
        audibility(stems, sig.SR, buried_below=1.5)


def _curves(result) -> dict[str, np.ndarray]:
    return {s.name: s.audibility for s in result.stems}


def test_invariances_stem_order_channel_swap_and_a_silent_extra_stem(stems) -> None:
    """The order of the stems, swapping left and right in all of them, and one more stem that is
    silent change nothing (the ears are symmetric; silence adds no excitation)."""
    base = audibility(stems, sig.SR)
    reordered = audibility(dict(reversed(list(stems.items()))), sig.SR)
    swapped = audibility({n: x[::-1] for n, x in stems.items()}, sig.SR)
    extra = audibility({**stems, "silence": np.zeros_like(stems["pad"])}, sig.SR)
    for other in (reordered, swapped, extra):
        for name, curve in _curves(base).items():
            np.testing.assert_allclose(_curves(other)[name], curve, atol=1e-9, equal_nan=True)
            assert other.stem(name).buried == base.stem(name).buried
    assert extra.stem("silence").buried == () and extra.stem("silence").mean_audibility is None


@pytest.mark.parametrize("rate", [22050, 44100, 48000, 96000])
def test_the_verdict_does_not_depend_on_the_sample_rate(rate) -> None:
    # 22.05 kHz puts frame centres between samples (the gathered-frames path), the others on them.
    t = np.arange(round(3.0 * rate)) / rate
    pad = 0.3 * np.sin(2 * np.pi * 440 * t)
    for lead_db, buried in ((-36.0, True), (12.0, False)):
        lead = 0.3 * 10 ** (lead_db / 20) * np.sin(2 * np.pi * 660 * t)
        result = audibility({"pad": pad, "lead": lead}, rate)
        got = [(b.start_s, b.end_s, b.masked_by) for b in result.stem("lead").buried]
        assert got == ([(0.0, 3.0, ("pad",))] if buried else [])
