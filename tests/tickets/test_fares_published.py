"""The fares riders are charged are the fares the GTFS feed publishes (issue 6).

The exported feed (``noriai gtfs export``'s zip, read back) must carry, for every rider
category the service prices, exactly the unit fare :func:`dispatcher.fares.fare_for` charges.
"""

from __future__ import annotations

from datetime import date

import pytest

from dispatcher.fares import categories, fare_for, unit_fare
from dispatcher.services import load_service
from gtfs.feed import feed_zip, read_zip_tables


@pytest.fixture(scope="module")
def service():
    """The shipped Mitsugi service."""
    return load_service("mitsugi")


def test_feed_fares_equal_the_configured_fares(service, tmp_path):
    """Each category's Fares v2 product amount and currency equal the fare one rider of that
    category is charged; Fares v1 carries the adult fare; no category is missing or extra."""
    data, _ = feed_zip(service, date(2027, 1, 13), days=30)
    path = tmp_path / "feed.zip"
    path.write_bytes(data)
    tables, _ = read_zip_tables(path)
    products = {p["rider_category_id"]: p for p in tables["fare_products.txt"]}
    prefix = f"{service.id}_"
    assert {cid.removeprefix(prefix) for cid in products} == set(categories(service.fares))
    for category in categories(service.fares):
        product = products[prefix + category]
        charged = unit_fare(service.fares, category)
        assert int(product["amount"]) == charged, category
        assert product["currency"] == service.fares.currency
        if charged and category != "infant":
            assert fare_for(service.fares, {category: 2}).total == 2 * int(product["amount"])
    (v1,) = tables["fare_attributes.txt"]
    assert int(v1["price"]) == fare_for(service.fares, {"adult": 1}).total
