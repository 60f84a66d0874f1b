"""Where do I go: communes named with typos, and distances."""

from __future__ import annotations

import pytest

from knowledge.places import Gazetteer, distance_km


@pytest.fixture(scope="module")
def places() -> Gazetteer:
    return Gazetteer.load()


def test_the_55_communes_of_liege_huy_waremme_are_shipped_with_coordinates(places):
    communes = {p.commune for p in places.places if p.name == p.commune}
    assert len(communes) == 55 and {"Seraing", "Herstal", "Huy", "Waremme", "Neupré", "Wasseiges"} <= communes
    assert all(50.3 < p.latitude < 50.8 and 5.0 < p.longitude < 5.8 for p in places.places)


@pytest.mark.parametrize("text, expected", [
    ("j'habite à Seraing", "Seraing"),
    ("I'm in Herstal", "Herstal"),
    ("jhabite a serain", "Seraing"),
    ("je suis a flemale", "Flémalle"),
    ("I live in grace hollogne", "Grâce-Hollogne"),
    ("chez moi à jemepe", "Jemeppe-sur-Meuse"),
    ("in liege", "Liège"),
    ("je vis à Ans", "Ans"),
    ("Huy", "Huy"),
    ("ana f Visé", "Visé"),
    ("я живу в Seraing", "Seraing"),
    ("j'ai 25 ans", None),  # the French word, not the commune Ans
    ("bonjour je cherche un logement", None),
    ("j'ai un rendez-vous à la commune", None),
    ("answer please", None),
])
def test_a_commune_named_in_a_message(places, text, expected):
    found = places.find(text)
    assert (found.name if found else None) == expected


@pytest.mark.parametrize("a, b, km", [
    ("Liège", "Seraing", 6.8), ("Liège", "Huy", 26.8), ("Liège", "Waremme", 23.0), ("Seraing", "Seraing", 0.0),
])
def test_distances(places, a, b, km):
    assert distance_km(places.commune(a).position, places.commune(b).position) == pytest.approx(km, abs=0.5)


def test_a_shared_location_is_matched_to_the_nearest_place(places):
    assert places.nearest((50.5190, 5.2330)).name == "Huy"
