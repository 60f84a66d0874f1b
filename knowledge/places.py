"""Where a person is: a commune named in a message (typos welcome) or a shared location, and distances."""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, List, Optional, Tuple

import yaml
from rapidfuzz import fuzz, process

PLACES_FILE = Path(__file__).parent / "places.yml"
MATCH_SCORE = 85  # rapidfuzz ratio (0-100) for a word group to count as a place name
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Place:
    name: str
    commune: str
    latitude: float
    longitude: float

    @property
    def position(self) -> Tuple[float, float]:
        return self.latitude, self.longitude


def _fold(text: str) -> str:
    """'Grâce-Hollogne' -> 'grace hollogne': no accents, no hyphens, lower case."""
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def distance_km(a: Tuple[float, float], b: Tuple[float, float]) -> float:
    """Great-circle distance (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


class Gazetteer:
    """The communes and districts of the area, found in free text with typos ("j'habite a serain")."""

    def __init__(self, places: Iterable[Place]):
        self.places = tuple(places)
        self._by_fold = {_fold(p.name): p for p in self.places}
        for place in self.places:  # "Jemeppe" for Jemeppe-sur-Meuse, "Comblain" for Comblain-au-Pont
            head = re.split(r"-(?:sur|sous|le|la|les|au|aux|en)-", place.name)[0]
            if head != place.name and len(head) >= 5:
                self._by_fold.setdefault(_fold(head), place)
        self._by_commune = {_fold(p.commune): p for p in self.places if p.name == p.commune}

    @classmethod
    def load(cls, path: Path = PLACES_FILE) -> "Gazetteer":
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        return cls(Place(str(p["name"]), str(p["commune"]), float(p["lat"]), float(p["lon"])) for p in data["places"])

    def find(self, text: str) -> Optional[Place]:
        """The place a message names, if any. Short names (Huy, Ans, Geer) must be written exactly."""
        words = _fold(text).split()
        candidates: List[Tuple[str, int]] = [(" ".join(words[i:i + n]), n) for n in (4, 3, 2, 1)
                                             for i in range(len(words) - n + 1)]
        best: Optional[Tuple[float, Place]] = None
        for phrase, _n in candidates:
            exact = self._by_fold.get(phrase)
            if len(phrase) < 5:
                # "Ans", "Huy", "Geer": only written as a name, with its capital ("j'ai 20 ans" is not Ans)
                if exact is not None and re.search(rf"\b{re.escape(exact.name)}\b", text):
                    return exact
                continue
            if exact is not None:
                return exact
            match = process.extractOne(phrase, list(self._by_fold), scorer=fuzz.ratio, score_cutoff=MATCH_SCORE)
            if match and len(match[0]) >= 5 and (best is None or match[1] > best[0]):
                best = (match[1], self._by_fold[match[0]])
        return best[1] if best else None

    def commune(self, name: str) -> Optional[Place]:
        """The place of a commune written in a knowledge file ('Liège', 'Seraing')."""
        return self._by_commune.get(_fold(name)) or self._by_fold.get(_fold(name))

    def nearest(self, position: Tuple[float, float]) -> Place:
        return min(self.places, key=lambda p: distance_km(position, p.position))
