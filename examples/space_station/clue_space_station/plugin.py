"""The plugin module named by this package's ``clue`` entry point.

It only uses the project's public API: ``plugins.hookimpl`` and the data classes of
``clue_env``.
"""

from clue_env import Difficulty, Levels, Room, Theme, Variant
from plugins import hookimpl

STATION = Theme(
    name="space-station",
    victim="Commander Vance",
    intro=(
        "Halfway through the long night shift aboard the research station Meridian, the "
        "station's commander, Elena Vance, was found dead in one of its modules. The crew "
        "members on duty are all suspects."
    ),
    suspects=("Dr. Okafor", "Engineer Lind", "Pilot Reyes", "Botanist Yamada", "Medic Haddad", "Cadet Novak"),
    weapons=("Plasma Cutter", "Oxygen Canister", "Torque Wrench", "Syringe", "Data Cable"),
    rooms=(
        Room("Bridge"),
        Room("Galley"),
        Room("Airlock"),
        Room("Hydroponics Bay"),
        Room("Reactor Room"),
        Room("Sick Bay"),
        Room("Observation Deck", outdoor=True),
        Room("Cargo Hold"),
        Room("Crew Quarters"),
    ),
    motives=("Mutiny", "Debt", "Sabotage", "Ambition", "Grief", "Secrecy"),
)

SPACE_STATION = Variant(
    name="space-station",
    description="Example plugin: a murder aboard a space station (its own cast and map)",
    theme=STATION,
    levels=Levels(
        (
            Difficulty("easy", "3 crew, 3 tools, 4 modules, 2 times", (3, 3), (3, 3), (4, 4), (2, 2), "unique"),
            Difficulty("hard", "6 crew, 5 tools, 9 modules, 4-5 times", (6, 6), (5, 5), (9, 9), (4, 5), "unique"),
        ),
        default="easy",
    ),
)


@hookimpl
def clue_variants():
    return [SPACE_STATION]
