"""Make the waiting-room screen's sound files (console/static/voice/*.wav) with espeak-ng's
Indonesian voice: `python -m texts.make_voice`.

Made once and committed: CI and most servers have no espeak-ng, and the files change only when
texts/voice.py does. Small on purpose, since a TV fetches them over the puskesmas network: mono,
11 025 Hz, 8 bits, the silence espeak-ng puts around a word trimmed off.
"""

from __future__ import annotations

import array
import subprocess
import sys
import tempfile
import wave
from pathlib import Path

from texts.voice import every_file

FOLDER = Path(__file__).resolve().parent.parent / "console" / "static" / "voice"
QUIET = 300  # of 32 767: quieter than this at a word's ends is silence
KEEP = 220  # samples (at 11 025 Hz, 20 ms) of silence kept at each end


def make(text: str, target: Path) -> None:
    with tempfile.NamedTemporaryFile(suffix=".wav") as raw:
        # The texts are our own (texts/voice.py), and espeak-ng is looked up on PATH on purpose.
        espeak = ["espeak-ng", "-v", "id", "-s", "150", "-w", raw.name, text]
        subprocess.run(espeak, check=True)  # noqa: S603
        with wave.open(raw.name) as source:
            assert (source.getnchannels(), source.getsampwidth()) == (1, 2)
            rate = source.getframerate()
            samples = array.array("h", source.readframes(source.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    # Half the rate: the mean of each pair, which also filters what the lower rate cannot hold.
    halved = [(samples[i] + samples[i + 1]) // 2 for i in range(0, len(samples) - 1, 2)]
    loud = [i for i, value in enumerate(halved) if abs(value) > QUIET]
    if loud:
        halved = halved[max(loud[0] - KEEP, 0) : loud[-1] + KEEP]
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)  # 8-bit WAV is unsigned
        out.setframerate(rate // 2)
        out.writeframes(bytes((value >> 8) + 128 for value in halved))


def main() -> None:
    FOLDER.mkdir(parents=True, exist_ok=True)
    for old in FOLDER.glob("*.wav"):
        old.unlink()
    for name, text in every_file().items():
        make(text, FOLDER / f"{name}.wav")
    print(f"{len(every_file())} files in {FOLDER}")


if __name__ == "__main__":
    main()
