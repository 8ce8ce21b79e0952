"""Fares in the feed: Fares v1 (the adult fare, GTFS-JP requires it) and Fares v2 rider
categories and products for the child, infant and concession fares (pure)."""

from __future__ import annotations

from dispatcher.service_area import ServiceArea
from gtfs.tables import FeedIds, Table, make_table

PAYMENT_ON_BOARD, PAYMENT_BEFORE = "0", "1"


def fare_tables(service: ServiceArea) -> dict[str, Table]:
    """Fares: v1 (adult flat fare on the route) and v2 (one product per rider category).

    Fares v1 can hold one price per route, so ``fare_attributes.txt``/``fare_rules.txt`` carry
    the adult fare (GTFS-JP v2 requires them). The child, infant and concession fares are
    published as Fares v2 ``rider_categories.txt`` + ``fare_products.txt`` with a
    ``fare_leg_rules.txt`` row per product on the route's network.
    """
    ids = FeedIds.of(service)
    fr = service.fares
    payment = PAYMENT_ON_BOARD if "cash_onboard" in fr.payment else PAYMENT_BEFORE
    tables = {
        "fare_attributes.txt": make_table(
            ("fare_id", "price", "currency_type", "payment_method", "transfers", "agency_id"),
            [
                {
                    "fare_id": ids.fare_adult,
                    "price": str(fr.adult),
                    "currency_type": fr.currency,
                    "payment_method": payment,
                    "transfers": "0",
                    "agency_id": service.agency.id,
                }
            ],
        ),
        "fare_rules.txt": make_table(
            ("fare_id", "route_id"), [{"fare_id": ids.fare_adult, "route_id": ids.route}]
        ),
    }
    cats = categories(service)
    tables["rider_categories.txt"] = make_table(
        ("rider_category_id", "rider_category_name", "is_default_fare_category"),
        [
            {
                "rider_category_id": f"{service.id}_{cid}",
                "rider_category_name": name,
                "is_default_fare_category": "1" if cid == "adult" else "0",
            }
            for cid, name, _ in cats
        ],
    )
    tables["fare_products.txt"] = make_table(
        ("fare_product_id", "fare_product_name", "rider_category_id", "amount", "currency"),
        [
            {
                "fare_product_id": f"{service.id}_fare_{cid}",
                "fare_product_name": f"{service.short_name} {name}",
                "rider_category_id": f"{service.id}_{cid}",
                "amount": str(price),
                "currency": fr.currency,
            }
            for cid, name, price in cats
        ],
    )
    tables["fare_leg_rules.txt"] = make_table(
        ("leg_group_id", "network_id", "fare_product_id"),
        [
            {
                "leg_group_id": f"{service.id}_ride",
                "network_id": ids.network,
                "fare_product_id": f"{service.id}_fare_{cid}",
            }
            for cid, _, _ in cats
        ],
    )
    return tables


CONCESSION_NAMES_JA = {"disability": "障害者割引", "elderly_pass": "高齢者おでかけパス"}
CONCESSION_NAMES_EN = {"disability": "Disability discount", "elderly_pass": "Senior pass"}
CATEGORY_NAMES_EN = {"adult": "Adult", "child": "Child", "infant": "Infant"}


def categories(service: ServiceArea) -> list[tuple[str, str, int]]:
    fr = service.fares
    cats = [("adult", "大人", fr.adult), ("child", "小児", fr.child), ("infant", "幼児", fr.infant)]
    return cats + [(n, CONCESSION_NAMES_JA.get(n, n), p) for n, p in fr.concessions]
