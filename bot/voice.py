"""Voice notes of answers (the 🔊 button), made offline: espeak-ng speaks, opusenc encodes OGG/Opus (Debian's
espeak-ng and opus-tools). Without either program Guichet runs as before, with no 🔊 button (one warning).

Only languages espeak-ng has a voice for are read (never a language with another language's voice). Audio is
cached on disk by (engine, voice, text), at most `cap_bytes` (the least recently used go first); once Telegram
accepted a voice note its `file_id` is kept next to the audio and sent instead of the file.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, FrozenSet, Optional

logger = logging.getLogger(__name__)

# Guichet's languages -> espeak-ng 1.51 voices (checked with `espeak-ng --voices`); none for ps, ti, so.
VOICES: Dict[str, str] = {"en": "en-gb", "fr": "fr-be", "nl": "nl", "ar": "ar", "fa": "fa", "uk": "uk", "ru": "ru",
                          "tr": "tr", "es": "es"}
ENGINE = "espeak-ng-1.51/opus-24k-v1"  # part of the cache key: a change of how audio is made makes new audio
CACHE_BYTES = 200 * 1024 * 1024
BITRATE_KBPS = 24  # speech: 24 kb/s Opus is clear, ~180 KB a minute
TIMEOUT_SECONDS = 60


class VoiceError(RuntimeError):
    pass


class Voices:
    """Makes and caches voice notes; thread-safe (synthesis runs in the courier's worker threads)."""

    def __init__(self, cache_dir: Path, cap_bytes: int = CACHE_BYTES, espeak: str = "espeak-ng", opusenc: str = "opusenc"):
        self.cache_dir = Path(cache_dir)
        self.cap_bytes = cap_bytes
        self.espeak, self.opusenc = shutil.which(espeak), shutil.which(opusenc)
        self.languages: FrozenSet[str] = self._languages()
        self._lock = threading.Lock()
        self.executor = ThreadPoolExecutor(1, thread_name_prefix="guichet-voice")  # never the handlers' threads
        self.made = 0  # voice notes synthesized (not from the cache), for tests and the benchmark

    def _languages(self) -> FrozenSet[str]:
        if not self.espeak or not self.opusenc:
            missing = " and ".join(n for n, p in (("espeak-ng", self.espeak), ("opusenc", self.opusenc)) if not p)
            logger.warning("%s not found: answers are not read aloud (no 🔊 button); apt-get install espeak-ng opus-tools",
                           missing)
            return frozenset()
        try:
            listing = subprocess.run([self.espeak, "--voices"], capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError) as error:
            logger.warning("espeak-ng does not run (%s): answers are not read aloud", type(error).__name__)
            return frozenset()
        names = {fields[1] for fields in (line.split() for line in listing.splitlines()[1:]) if len(fields) > 1}
        return frozenset(language for language, voice in VOICES.items() if voice in names)

    def key(self, text: str, language: str) -> str:
        return hashlib.sha256(f"{ENGINE}\0{VOICES.get(language, '')}\0{text}".encode()).hexdigest()

    def path(self, key: str) -> Path:
        return self.cache_dir / f"{key}.ogg"

    def audio(self, text: str, language: str) -> Path:
        """The OGG/Opus file reading `text` in `language` (from the cache, or made now; blocking)."""
        if language not in self.languages:
            raise VoiceError(f"no voice for {language}")
        key = self.key(text, language)
        target = self.path(key)
        if target.exists():
            os.utime(target)  # recently used: evicted last
            return target
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".{threading.get_ident()}.partial")
        try:
            speech = subprocess.run([self.espeak, "-v", VOICES[language], "--stdin", "--stdout"], input=text.encode(),
                                    capture_output=True, timeout=TIMEOUT_SECONDS, check=True).stdout
            subprocess.run([self.opusenc, "--quiet", "--bitrate", str(BITRATE_KBPS), "-", str(partial)], input=speech,
                           capture_output=True, timeout=TIMEOUT_SECONDS, check=True)
            os.replace(partial, target)
        except (OSError, subprocess.SubprocessError) as error:
            partial.unlink(missing_ok=True)
            raise VoiceError(f"could not make a voice note ({type(error).__name__})") from None
        with self._lock:
            self.made += 1
        self._evict()
        return target

    def ready(self, text: str, language: str) -> bool:
        """Sending it needs no synthesis: the audio is cached (or Telegram has it)."""
        return self.path(self.key(text, language)).exists() or self.file_id(text, language) is not None

    def file_id(self, text: str, language: str) -> Optional[str]:
        """Telegram's id of this audio once it was sent, if any."""
        stored = self.path(self.key(text, language)).with_suffix(".id")
        try:
            return stored.read_text().strip() or None
        except OSError:
            return None

    def remember(self, text: str, language: str, file_id: str) -> None:
        stored = self.path(self.key(text, language)).with_suffix(".id")
        try:
            stored.write_text(file_id)
        except OSError as error:  # the cache is an optimisation
            logger.info("could not keep a voice note's file id (%s)", type(error).__name__)

    def _evict(self) -> None:
        with self._lock:
            files = sorted(self.cache_dir.glob("*.ogg"), key=lambda p: p.stat().st_mtime)
            total = sum(p.stat().st_size for p in files)
            for old in files:
                if total <= self.cap_bytes:
                    break
                total -= old.stat().st_size
                old.unlink(missing_ok=True)
                old.with_suffix(".id").unlink(missing_ok=True)


def ogg_opus_seconds(data: bytes) -> float:
    """Duration of an OGG/Opus file: the last page's granule position (48 kHz) minus the pre-skip."""
    if not data.startswith(b"OggS") or b"OpusHead" not in data[:200]:
        raise ValueError("not OGG/Opus")
    head = data.index(b"OpusHead")
    pre_skip = int.from_bytes(data[head + 10:head + 12], "little")
    last = data.rindex(b"OggS")
    granule = int.from_bytes(data[last + 6:last + 14], "little")
    return (granule - pre_skip) / 48000
