"""What goes in one basket: projects (types bought together) and single-item errands.

An order of one line is an errand: one product of its category. An order of two lines or more is a
project started in its category: the project's core type, then each further line of a type drawn by
the project's companion weights (a type may come twice: two different products of it). Which project
a category's order is follows the segment's weight for it and its months.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zava.catalog.loader import MONTHS


@dataclass(frozen=True)
class Project:
    name: str
    core: str  # type_id of the first line; the project's category is this type's
    companions: dict[str, float]  # type_id -> weight of each further line
    diy: float = 1.0  # weight among its category's projects for homeowners
    pro: float = 0.2  # ... for pros
    months: dict[str, float] = field(default_factory=dict)  # month -> multiplier (1 if absent)

    def month_weight(self, month: int) -> float:
        return self.months.get(MONTHS[month], 1.0)


def _season(multiplier: float, *months: str) -> dict[str, float]:
    return dict.fromkeys(months, multiplier)


PROJECTS: tuple[Project, ...] = (
    # paint & finishes
    Project(
        "paint a room",
        "type_interior_paint",
        {"type_brushes_rollers": 6, "type_primers": 3, "type_interior_paint": 2, "type_drywall": 1},
        pro=0.3,
    ),
    Project(
        "paint the house",
        "type_exterior_paint",
        {"type_brushes_rollers": 5, "type_primers": 2, "type_exterior_paint": 2, "type_stains_sealers": 1},
        pro=0.3,
        months=_season(1.4, "may", "jun", "jul", "aug"),
    ),
    Project(
        "stain the deck or fence",
        "type_stains_sealers",
        {"type_brushes_rollers": 5, "type_sanders_grinders": 2, "type_fasteners": 1},
        months=_season(1.5, "may", "jun", "jul", "aug"),
    ),
    Project(
        "prime and patch", "type_primers", {"type_drywall": 3, "type_brushes_rollers": 3, "type_interior_paint": 3}
    ),
    Project(
        "turn over a rental unit",
        "type_interior_paint",
        {
            "type_primers": 4,
            "type_brushes_rollers": 4,
            "type_locks": 2,
            "type_switches_outlets": 1,
            "type_cabinet_hardware": 1,
        },
        diy=0.1,
        pro=1.5,
    ),
    # plumbing
    Project("fix a leak", "type_pipes_fittings", {"type_valves": 5, "type_wrenches_sockets": 3, "type_pliers": 1}),
    Project(
        "replace a faucet", "type_faucets", {"type_pipes_fittings": 3, "type_valves": 3, "type_wrenches_sockets": 3}
    ),
    Project("fix a toilet", "type_toilets", {"type_valves": 3, "type_wrenches_sockets": 2, "type_pipes_fittings": 1}),
    Project(
        "rough-in plumbing",
        "type_pipes_fittings",
        {"type_valves": 4, "type_pipes_fittings": 4, "type_fasteners": 1},
        diy=0.1,
        pro=2.0,
    ),
    # electrical
    Project(
        "wire an outlet", "type_switches_outlets", {"type_wire_cable": 4, "type_pliers": 3, "type_screwdrivers": 2}
    ),
    Project(
        "update the lighting",
        "type_lighting",
        {"type_switches_outlets": 3, "type_wire_cable": 2, "type_screwdrivers": 2},
    ),
    Project(
        "holiday lights",
        "type_extension_cords",
        {"type_lighting": 3, "type_hooks_hangers": 2},
        months={"nov": 2.5, "dec": 3.0, "oct": 1.3},
    ),
    Project(
        "rough-in wiring",
        "type_wire_cable",
        {"type_switches_outlets": 5, "type_wire_cable": 2, "type_fasteners": 1, "type_pliers": 1},
        diy=0.1,
        pro=2.0,
    ),
    # hardware
    Project("hang shelves", "type_shelving", {"type_fasteners": 4, "type_drills": 3, "type_measuring_layout": 2}),
    Project("change the locks", "type_locks", {"type_screwdrivers": 3, "type_hinges": 2, "type_drills": 1}, pro=0.8),
    Project(
        "refresh the kitchen cabinets",
        "type_cabinet_hardware",
        {"type_hinges": 4, "type_screwdrivers": 2, "type_drills": 1, "type_interior_paint": 1},
    ),
    Project(
        "hang pictures", "type_hooks_hangers", {"type_hammers": 3, "type_measuring_layout": 3, "type_fasteners": 1}
    ),
    Project("fix a door", "type_hinges", {"type_screwdrivers": 3, "type_locks": 2, "type_fasteners": 1}),
    Project(
        "stock the truck",
        "type_fasteners",
        {"type_fasteners": 4, "type_screwdrivers": 1, "type_batteries_chargers": 1},
        diy=0.3,
        pro=2.0,
    ),
    # lumber & building materials
    Project(
        "build a deck or fence",
        "type_dimensional_lumber",
        {"type_fasteners": 6, "type_saws": 2, "type_nailers": 1, "type_concrete_masonry": 1, "type_stains_sealers": 1},
        pro=0.6,
        months=_season(1.4, "may", "jun", "jul", "aug"),
    ),
    Project(
        "frame a wall",
        "type_dimensional_lumber",
        {"type_fasteners": 5, "type_plywood_sheet": 2, "type_nailers": 2, "type_dimensional_lumber": 2},
        diy=0.2,
        pro=2.5,
    ),
    Project(
        "build a workbench",
        "type_plywood_sheet",
        {"type_fasteners": 3, "type_saws": 3, "type_dimensional_lumber": 2, "type_measuring_layout": 1},
    ),
    Project(
        "hang and finish drywall",
        "type_drywall",
        {"type_fasteners": 5, "type_primers": 2, "type_drywall": 2, "type_measuring_layout": 1},
        diy=0.6,
        pro=2.0,
    ),
    Project(
        "pour a pad or footings",
        "type_concrete_masonry",
        {"type_dimensional_lumber": 3, "type_concrete_masonry": 2, "type_garden_tools": 1, "type_hammers": 1},
        pro=1.2,
        months=_season(1.3, "apr", "may", "jun", "jul", "aug", "sep"),
    ),
    # power tools
    Project("a new drill", "type_drills", {"type_batteries_chargers": 3, "type_screwdrivers": 3, "type_fasteners": 2}),
    Project(
        "cut to size",
        "type_saws",
        {"type_measuring_layout": 3, "type_batteries_chargers": 2, "type_dimensional_lumber": 2},
    ),
    Project(
        "refinish furniture",
        "type_sanders_grinders",
        {"type_stains_sealers": 4, "type_brushes_rollers": 2, "type_batteries_chargers": 1},
    ),
    Project("nail it together", "type_nailers", {"type_fasteners": 5, "type_dimensional_lumber": 2}, pro=1.0),
    Project(
        "keep the tools charged", "type_batteries_chargers", {"type_batteries_chargers": 3, "type_drills": 1}, pro=1.0
    ),
    # hand tools
    Project(
        "start a toolbox",
        "type_hammers",
        {
            "type_screwdrivers": 3,
            "type_pliers": 3,
            "type_measuring_layout": 2,
            "type_wrenches_sockets": 2,
            "type_tool_storage": 1,
        },
        months={"dec": 1.6, "jun": 1.3},
    ),
    Project(
        "fix the bike or the car",
        "type_wrenches_sockets",
        {"type_pliers": 3, "type_screwdrivers": 2, "type_bins_totes": 1},
    ),
    Project(
        "lay out the job",
        "type_measuring_layout",
        {"type_saws": 2, "type_dimensional_lumber": 2, "type_hammers": 1},
        pro=0.6,
    ),
    Project("small repairs", "type_screwdrivers", {"type_fasteners": 3, "type_pliers": 2, "type_hammers": 2}),
    # garden & outdoor
    Project(
        "spring garden",
        "type_soil_fertilizer",
        {"type_garden_tools": 4, "type_hoses_watering": 3, "type_soil_fertilizer": 3},
        months=_season(1.6, "mar", "apr", "may"),
    ),
    Project(
        "lawn care",
        "type_mowers_trimmers",
        {"type_batteries_chargers": 2, "type_garden_tools": 2, "type_extension_cords": 1, "type_hoses_watering": 1},
    ),
    Project(
        "water the yard",
        "type_hoses_watering",
        {"type_garden_tools": 2, "type_valves": 1, "type_soil_fertilizer": 1},
        months=_season(1.4, "jun", "jul", "aug"),
    ),
    Project("plant a bed", "type_garden_tools", {"type_soil_fertilizer": 5, "type_hoses_watering": 1}),
    Project(
        "landscape a yard",
        "type_soil_fertilizer",
        {"type_soil_fertilizer": 4, "type_concrete_masonry": 2, "type_garden_tools": 2},
        diy=0.2,
        pro=2.5,
    ),
    # storage & organization
    Project(
        "organize the garage",
        "type_garage_organization",
        {"type_hooks_hangers": 3, "type_bins_totes": 3, "type_fasteners": 2, "type_shelving": 1},
        months=_season(1.5, "jan", "feb"),
    ),
    Project(
        "declutter",
        "type_bins_totes",
        {"type_bins_totes": 3, "type_shelving": 2, "type_garage_organization": 1},
        months=_season(1.6, "jan"),
    ),
    Project(
        "set up a workshop",
        "type_tool_storage",
        {"type_garage_organization": 2, "type_bins_totes": 1, "type_extension_cords": 1, "type_lighting": 1},
    ),
)
