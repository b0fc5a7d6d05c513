"""Tests of plugins.manager: built-ins, real entry-point discovery, error isolation,
blocking, and the validation of the data classes that plugins hand over."""

from __future__ import annotations

import dataclasses
import itertools
import os
import sys
import textwrap
from pathlib import Path

import gymnasium as gym
import pytest

import clue_env  # noqa: F401  (registers TemporalClue-v0)
import plugins
from clue_env import CLASSIC, Difficulty, Levels, Room, Sizes, Theme, Variant, generate_puzzle
from clue_env.builtin_variants import TEMPORAL

BUILTIN_NAMES = {"temporal", "classic", "tiny"}
MODULE_PREFIX = "fakeclue_"
_counter = itertools.count()


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(autouse=True)
def fresh_plugins(monkeypatch):
    """A fresh plugin manager for each test, and again at teardown (whatever happened),
    so that no fake plugin leaks into other tests."""
    monkeypatch.delenv(plugins.manager.DISABLE_ENV, raising=False)
    plugins.reset_plugin_manager()
    try:
        yield
    finally:
        plugins.reset_plugin_manager()
        for name in [m for m in sys.modules if m.startswith(MODULE_PREFIX)]:
            del sys.modules[name]


@pytest.fixture
def fake_dist(tmp_path, monkeypatch):
    """``install(plugins={ep_name: module_source or None}, entry_points={ep_name: value})``
    lays out a fake installed distribution ``fakepkg`` in tmp_path, with one plugin module
    per source (None: the entry point names a module that does not exist), puts tmp_path on
    sys.path and resets the plugin manager. Returns {ep_name: module_name}."""

    def install(sources: dict[str, str | None]) -> dict[str, str]:
        tag = next(_counter)
        modules: dict[str, str] = {}
        lines = ["[clue]"]
        for ep_name, source in sources.items():
            module = f"{MODULE_PREFIX}{tag}_{ep_name}"
            modules[ep_name] = module
            lines.append(f"{ep_name} = {module}")
            if source is not None:
                (tmp_path / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
        info = tmp_path / "fakepkg-1.0.dist-info"
        info.mkdir()
        (info / "METADATA").write_text("Metadata-Version: 2.1\nName: fakepkg\nVersion: 1.0\n", encoding="utf-8")
        (info / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        plugins.reset_plugin_manager()
        return modules

    return install


# A plugin module offering one new, valid variant. {name} and {decorator} are filled in.
GOOD_PLUGIN = """
from clue_env import Difficulty, Levels, Room, Theme, Variant
from plugins import hookimpl

THEME = Theme(
    name="lighthouse",
    victim="Keeper Bell",
    intro="A storm cut the lighthouse off from the mainland. By dawn Keeper Bell was dead.",
    suspects=("Ada Finch", "Bo Marsh", "Cy Reed", "Di Stone"),
    weapons=("Oar", "Lamp Oil", "Anchor Chain"),
    rooms=(Room("Lamp Room"), Room("Stairwell"), Room("Cottage"), Room("Pier", outdoor=True)),
    motives=("Greed", "Envy", "Fear", "Love"),
)

VARIANT = Variant(
    name="{name}",
    description="a test variant from a fake installed package",
    theme=THEME,
    levels=Levels(
        (
            Difficulty("easy", "3 keepers, 2 tools, 3 rooms, 2 times", (3, 3), (2, 2), (3, 3), (2, 2), "unique"),
            Difficulty("hard", "4 keepers, 3 tools, 4 rooms, 3 times", (4, 4), (3, 3), (4, 4), (3, 3), "unique"),
        ),
        default="easy",
    ),
)


{decorator}
def clue_variants():
    return [VARIANT]
"""


def good_plugin(name: str = "lighthouse", decorator: str = "@hookimpl") -> str:
    return GOOD_PLUGIN.replace("{name}", name).replace("{decorator}", decorator)


def errors_of(plugin: str) -> list[plugins.PluginError]:
    return [e for e in plugins.plugin_errors() if e.plugin == plugin]


def assert_builtins_work() -> None:
    table = clue_env.variants()
    assert BUILTIN_NAMES <= set(table)
    for name in BUILTIN_NAMES:
        assert table[name].plugin == "builtin"
    puzzle = generate_puzzle(clue_env.get_variant("tiny"), None, 0)
    assert puzzle.variant == "tiny" and puzzle.solution


# --------------------------------------------------------------------------- built-ins


def test_builtin_variants_are_listed_under_plugin_builtin():
    table = clue_env.variants()
    assert set(table) == BUILTIN_NAMES  # nothing else is installed in the test environment
    for name, entry in table.items():
        assert isinstance(entry, plugins.Entry)
        assert entry.plugin == "builtin"
        assert entry.item.name == name
        assert clue_env.get_variant(name) is entry.item
    assert plugins.plugin_errors() == []
    assert plugins.get_plugin_manager().has_plugin("builtin")


def test_variants_returns_a_copy():
    table = clue_env.variants()
    table.pop("temporal")
    assert "temporal" in clue_env.variants()


def test_unknown_variant_lists_the_known_ones():
    with pytest.raises(ValueError) as info:
        clue_env.get_variant("no-such-variant")
    message = str(info.value)
    assert "'no-such-variant'" in message
    assert "classic, temporal, tiny" in message


def test_reset_reloads_the_plugins():
    pm = plugins.get_plugin_manager()
    assert plugins.get_plugin_manager() is pm
    plugins.reset_plugin_manager()
    assert plugins.get_plugin_manager() is not pm
    assert set(clue_env.variants()) == BUILTIN_NAMES


# --------------------------------------------------------------------------- entry points: broken plugins

BROKEN_MODULES = {
    "import_error": ("import clue_no_such_dependency_xyz\n", "failed to import", "ModuleNotFoundError"),
    "syntax_error": ("def clue_variants(:\n    return []\n", "failed to import", "SyntaxError"),
    "raises_at_import": ("raise RuntimeError('cannot start up')\n", "failed to import", "cannot start up"),
    "bad_variant_at_import": (
        good_plugin(name="Bad Name!"),
        "failed to import",
        "bad variant name 'Bad Name!'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN_MODULES))
def test_plugin_module_that_fails_to_import_is_reported(fake_dist, case):
    source, what, detail = BROKEN_MODULES[case]
    modules = fake_dist({"broken": source})
    errs = errors_of("broken")
    assert len(errs) == 1, plugins.plugin_errors()
    message = str(errs[0])
    assert message.startswith("plugin 'broken':")
    assert what in message and detail in message
    assert modules["broken"] in message  # names the entry point's target
    assert_builtins_work()
    # ... and the unknown-variant error points at the broken plugin.
    with pytest.raises(ValueError, match="plugin 'broken'"):
        clue_env.get_variant("lighthouse")


def test_entry_point_naming_a_missing_module_is_reported(fake_dist):
    modules = fake_dist({"ghost": None})
    errs = errors_of("ghost")
    assert len(errs) == 1, plugins.plugin_errors()
    assert "failed to import" in errs[0].message
    assert "ModuleNotFoundError" in errs[0].message
    assert modules["ghost"] in errs[0].message
    assert_builtins_work()


def test_hook_that_raises_is_reported(fake_dist):
    fake_dist(
        {
            "raiser": """
            from plugins import hookimpl

            @hookimpl
            def clue_variants():
                raise RuntimeError("the hook blew up")
            """
        }
    )
    errs = errors_of("raiser")
    assert len(errs) == 1, plugins.plugin_errors()
    assert "clue_variants() raised RuntimeError: the hook blew up" in errs[0].message
    assert_builtins_work()


@pytest.mark.parametrize("value, type_name", [("None", "NoneType"), ("'lighthouse'", "str"), ("{'a': 1}", "dict")])
def test_hook_returning_a_non_list_is_reported(fake_dist, value, type_name):
    fake_dist(
        {
            "nolist": f"""
            from plugins import hookimpl

            @hookimpl
            def clue_variants():
                return {value}
            """
        }
    )
    errs = errors_of("nolist")
    assert len(errs) == 1, plugins.plugin_errors()
    assert "must return a list of Variant" in errs[0].message
    assert f"got {type_name}" in errs[0].message
    assert_builtins_work()


def test_list_holding_a_non_variant_is_reported_and_the_good_items_kept(fake_dist):
    source = good_plugin().replace("return [VARIANT]", "return [42, VARIANT, 'temporal']")
    fake_dist({"mixed": source})
    errs = errors_of("mixed")
    assert len(errs) == 2, plugins.plugin_errors()
    assert "returned int 42, not a clue_env.Variant" in errs[0].message
    assert "returned str 'temporal', not a clue_env.Variant" in errs[1].message
    assert clue_env.variants()["lighthouse"].plugin == "mixed"
    assert_builtins_work()


@pytest.mark.parametrize("decorator", ["@hookimpl", "@hookimpl(trylast=True)", "@hookimpl(tryfirst=True)"])
def test_variant_clashing_with_a_builtin_is_reported_and_skipped(fake_dist, decorator):
    # trylast puts the plugin ahead of the built-ins in pluggy's list; the built-in must
    # still win and the error must still name the plugin.
    fake_dist({"clasher": good_plugin(name="temporal", decorator=decorator)})
    errs = errors_of("clasher")
    assert len(errs) == 1, plugins.plugin_errors()
    assert "variant 'temporal' is already offered by plugin 'builtin'; skipped" in errs[0].message
    assert errors_of("builtin") == []
    entry = clue_env.variants()["temporal"]
    assert entry.plugin == "builtin"
    assert entry.item is TEMPORAL
    assert clue_env.get_variant("temporal").theme is CLASSIC
    assert_builtins_work()


def test_clash_between_two_plugins_names_the_later_one(fake_dist):
    fake_dist({"alpha": good_plugin(), "beta": good_plugin()})
    assert clue_env.variants()["lighthouse"].plugin == "alpha"
    errs = errors_of("beta")
    assert len(errs) == 1
    assert "variant 'lighthouse' is already offered by plugin 'alpha'" in errs[0].message
    assert errors_of("alpha") == []


def test_hook_with_an_unknown_argument_cannot_be_registered(fake_dist):
    fake_dist(
        {
            "badargs": """
            from plugins import hookimpl

            @hookimpl
            def clue_variants(config):
                return []
            """
        }
    )
    errs = errors_of("badargs")
    assert len(errs) == 1, plugins.plugin_errors()
    assert "could not be registered" in errs[0].message
    assert_builtins_work()


def test_one_broken_plugin_does_not_hide_a_good_one(fake_dist):
    fake_dist({"aaa_broken": "raise ImportError('nope')\n", "good": good_plugin()})
    assert len(errors_of("aaa_broken")) == 1
    assert errors_of("good") == []
    assert clue_env.variants()["lighthouse"].plugin == "good"
    assert_builtins_work()


# --------------------------------------------------------------------------- entry points: a good plugin


def test_good_plugin_variant_works_through_gym_make(fake_dist):
    fake_dist({"lighthouse_plugin": good_plugin()})
    assert plugins.plugin_errors() == []
    table = clue_env.variants()
    assert table["lighthouse"].plugin == "lighthouse_plugin"
    assert plugins.get_plugin_manager().has_plugin("lighthouse_plugin")
    assert_builtins_work()

    env = gym.make("TemporalClue-v0", variant="lighthouse")
    try:
        prompt, info = env.reset(seed=0)
        assert "Keeper Bell" in prompt
        assert info["puzzle_id"] == "lighthouse/easy/0"
        task = env.unwrapped.task
        answer = "\n".join(f"{label}. {value}" for label, value in task.solution.items())
        _, reward, terminated, truncated, info = env.step(answer)
        assert reward == 1.0 and terminated and not truncated
        assert info["num_correct"] == info["num_questions"] == len(task.solution)
    finally:
        env.close()

    env = gym.make("TemporalClue-v0", variant="lighthouse", difficulty="hard")
    try:
        prompt, _ = env.reset(seed=1)
        assert "Di Stone" in prompt  # the hard level uses all four suspects
        _, reward, *_ = env.step("A. nobody")
        assert reward < 1.0
    finally:
        env.close()


def test_plugin_error_text_is_one_readable_line(fake_dist):
    fake_dist({"multi": "raise RuntimeError('first line\\nsecond line')\n"})
    (err,) = errors_of("multi")
    assert "\n" not in str(err)
    assert "first line" in str(err) and "second line" not in str(err)


# --------------------------------------------------------------------------- CLUE_DISABLE_PLUGINS


def test_disable_blocks_a_named_plugin(fake_dist, monkeypatch):
    fake_dist({"good": good_plugin(), "other": good_plugin(name="other-variant")})
    assert {"lighthouse", "other-variant"} <= set(clue_env.variants())

    monkeypatch.setenv("CLUE_DISABLE_PLUGINS", " good , ")
    plugins.reset_plugin_manager()
    table = clue_env.variants()
    assert "lighthouse" not in table
    assert table["other-variant"].plugin == "other"
    assert plugins.plugin_errors() == []
    assert not plugins.get_plugin_manager().has_plugin("good")
    assert plugins.get_plugin_manager().is_blocked("good")
    with pytest.raises(ValueError, match="unknown variant 'lighthouse'"):
        clue_env.get_variant("lighthouse")
    assert_builtins_work()


def test_disable_skips_a_broken_plugin_without_importing_it(fake_dist, monkeypatch):
    modules = fake_dist({"broken": "raise RuntimeError('must not be imported')\n"})
    assert len(errors_of("broken")) == 1
    monkeypatch.setenv("CLUE_DISABLE_PLUGINS", "broken")
    plugins.reset_plugin_manager()
    assert plugins.plugin_errors() == []
    assert modules["broken"] not in sys.modules
    assert_builtins_work()


def test_disable_can_block_the_builtins(monkeypatch):
    monkeypatch.setenv("CLUE_DISABLE_PLUGINS", "builtin")
    plugins.reset_plugin_manager()
    assert clue_env.variants() == {}
    with pytest.raises(ValueError, match="known variants: none"):
        clue_env.get_variant("temporal")


def test_disable_is_read_when_the_manager_loads(monkeypatch):
    assert "temporal" in clue_env.variants()
    monkeypatch.setenv("CLUE_DISABLE_PLUGINS", "builtin")
    assert "temporal" in clue_env.variants()  # loaded before: unchanged until a reset
    plugins.reset_plugin_manager()
    assert "temporal" not in clue_env.variants()
    assert os.environ["CLUE_DISABLE_PLUGINS"] == "builtin"


# --------------------------------------------------------------------------- data validation

SMALL_THEME = Theme(
    name="small",
    victim="Victim",
    intro="intro",
    suspects=("Ann", "Ben", "Cat"),
    weapons=("Rope", "Knife"),
    rooms=(Room("Hall"), Room("Yard", outdoor=True), Room("Attic")),
    motives=("Greed", "Envy"),
)
SMALL_LEVELS = Levels((Difficulty("easy", "3 suspects", (3, 3), (2, 2), (2, 3)),))


def test_a_valid_variant_can_be_built_and_generated():
    variant = Variant("small-one", "ok", SMALL_THEME, SMALL_LEVELS)
    puzzle = generate_puzzle(variant, None, 3)
    assert puzzle.variant == "small-one"
    assert set(puzzle.case.suspects) <= set(SMALL_THEME.suspects)


@pytest.mark.parametrize("name", ["Bad Name", "UPPER", "1abc", "", "a" * 41, "has space", "dot.ted", None, 7])
def test_bad_variant_name(name):
    with pytest.raises(ValueError, match="bad variant name"):
        Variant(name, "desc", SMALL_THEME, SMALL_LEVELS)


def test_variant_needs_a_theme_and_levels():
    with pytest.raises(TypeError, match="theme must be a clue_env.Theme, got str"):
        Variant("x", "desc", "classic", SMALL_LEVELS)
    with pytest.raises(TypeError, match="levels must be a clue_env.Levels, got list"):
        Variant("x", "desc", SMALL_THEME, [SMALL_LEVELS.levels[0]])


def test_variant_unknown_clue_kind():
    with pytest.raises(ValueError, match=r"unknown clue kinds \['teleport'\]"):
        Variant("x", "desc", SMALL_THEME, SMALL_LEVELS, clue_weights={"at": 1.0, "teleport": 2.0})


@pytest.mark.parametrize(
    "level, what",
    [
        (Difficulty("big", "", (2, 4), (2, 2), (2, 3)), "needs 4 suspects, its theme has 3"),
        (Difficulty("big", "", (3, 3), (3, 3), (2, 3)), "needs 3 weapons, its theme has 2"),
        (Difficulty("big", "", (3, 3), (2, 2), (2, 5)), "needs 5 rooms, its theme has 3"),
    ],
)
def test_level_needing_more_than_the_theme_has(level, what):
    with pytest.raises(ValueError) as info:
        Variant("x", "desc", SMALL_THEME, Levels((level,)))
    assert "variant 'x', big:" in str(info.value)
    assert what in str(info.value)


def test_explicit_sizes_larger_than_the_theme():
    variant = Variant("x", "desc", SMALL_THEME, SMALL_LEVELS)
    with pytest.raises(ValueError, match="needs 5 suspects, its theme has 3"):
        variant.difficulty(Sizes(5, 2, 2))
    with pytest.raises(ValueError, match="needs 3 motives, its theme has 2"):
        variant.difficulty(Sizes(3, 2, 2, motives=3))
    with pytest.raises(ValueError, match="unknown difficulty 'nope'; choose one of easy"):
        variant.difficulty("nope")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"suspects": ("Ann", "Ben", "Ann")}, "name 'Ann' is used twice (suspects and suspects)"),
        ({"suspects": ("Ann", "Ben", "ann")}, "name 'ann' is used twice"),
        ({"weapons": ("Rope", "Hall")}, "name 'Hall' is used twice (weapons and rooms)"),
        ({"motives": ("Greed", "Ben")}, "name 'Ben' is used twice (suspects and motives)"),
        ({"suspects": ()}, "no suspects given"),
        ({"rooms": ()}, "no rooms given"),
        ({"suspects": ("Ann", " Ben")}, "bad suspects name ' Ben'"),
        ({"weapons": ("Rope", "")}, "bad weapons name ''"),
        ({"victim": "Cat"}, "the victim 'Cat' is also a suspects"),
    ],
)
def test_bad_theme(changes, message):
    with pytest.raises(ValueError) as info:
        dataclasses.replace(SMALL_THEME, **changes)
    assert "theme 'small'" in str(info.value)
    assert message in str(info.value)


def test_bad_levels():
    easy = Difficulty("easy", "", (2, 2), (2, 2), (2, 2))
    with pytest.raises(ValueError, match="difficulty names repeat"):
        Levels((easy, easy))
    with pytest.raises(ValueError, match="at least one difficulty level"):
        Levels(())
    with pytest.raises(ValueError, match="default difficulty 'hard' is not one of"):
        Levels((easy,), default="hard")


def test_bad_difficulty_and_sizes():
    with pytest.raises(ValueError, match=r"difficulty 'd': bad suspects span \(5, 3\)"):
        Difficulty("d", "", (5, 3), (2, 2), (2, 2))
    with pytest.raises(ValueError, match="rooms must be >= 2"):
        Difficulty("d", "", (2, 2), (2, 2), (1, 3))
    with pytest.raises(ValueError, match="rooms must be >= 2"):
        Sizes(3, 2, 1)
    with pytest.raises(ValueError, match="motives must be 0..suspects"):
        Sizes(3, 2, 2, motives=4)
    with pytest.raises(ValueError, match="unknown main questions"):
        Sizes(3, 2, 2, ask=("who", "how"))


def test_plugin_path_is_test_local(tmp_path):
    # The fake distributions live in tmp_path only: nothing is left behind for other tests.
    assert not any(Path(p) == tmp_path for p in sys.path)
    assert not [m for m in sys.modules if m.startswith(MODULE_PREFIX)]
