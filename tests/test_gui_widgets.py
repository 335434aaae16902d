"""GUI pieces without a runtime: the live event model, config form validation, kiosk guard and
schedule, notifications, autostart."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMainWindow, QTabWidget, QWidget

from app import autostart, fmt
from app.config_form import ConfigForm
from app.kiosk import KioskController, in_dim_window, parse_hhmm
from app.models.event_table_model import EventFilterProxy, EventTableModel
from app.theme import ThemeManager
from app.tray import NotificationGate
from core.config import AppConfig, ConfigError, HomeAssistantConfig, UiConfig
from core.models import EnrichedEvent
from tests.gui_conftest import make_gui_config

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def make_event(
    i: int, entity_id: str = "sensor.temp", area: str | None = "kitchen", state: str = "20"
) -> Any:
    return EnrichedEvent(
        entity_id=entity_id, domain=entity_id.split(".")[0], event_type="state_changed",
        time_fired=T0 + timedelta(seconds=i), state=state, old_state="19", attributes={}, value=None,
        unit=None, device_class=None, friendly_name=None, context_id=f"c{i}", context_parent_id=None,
        context_user_id=None, origin="LOCAL", device_id=None, area_id=area, floor_id=None,
        duration_in_state=None, device_manufacturer=None, device_model=None, device_sw_version=None,
    )  # fmt: skip


# -- live event model ---------------------------------------------------------------------------


def test_event_model_appends_in_bulk_newest_first_and_caps(qapp: Any) -> None:
    model = EventTableModel(cap=100)
    inserts: list[tuple[int, int]] = []
    model.rowsInserted.connect(lambda _p, a, b: inserts.append((a, b)))
    model.add_batch([make_event(i) for i in range(60)])
    model.add_batch([make_event(i) for i in range(60, 130)])
    assert inserts == [(0, 59), (0, 69)]  # one insert per batch, never per event
    assert model.rowCount() == 100
    assert model.event_at(0).time_fired == T0 + timedelta(seconds=129)
    assert model.event_at(99).time_fired == T0 + timedelta(seconds=30)
    assert model.bulk_appends == 2


def test_event_model_pause_holds_batches_and_resume_appends_once(qapp: Any) -> None:
    model = EventTableModel(cap=50)
    model.set_paused(True)
    for i in range(3):
        model.add_batch([make_event(i * 40 + k) for k in range(40)])
    assert model.rowCount() == 0 and model.pending_count == 50  # pending is capped too
    model.set_paused(False)
    assert model.rowCount() == 50 and model.bulk_appends == 1
    assert model.event_at(0).time_fired == T0 + timedelta(seconds=119)


def test_event_model_held_while_hidden_applies_one_block_when_shown(qapp: Any) -> None:
    model = EventTableModel(cap=100)
    model.set_held(True)
    model.add_batch([make_event(i) for i in range(30)])
    model.add_batch([make_event(i) for i in range(30, 60)])
    assert model.rowCount() == 0 and model.bulk_appends == 0
    model.set_held(False)
    assert model.rowCount() == 60 and model.bulk_appends == 1


def test_event_filter_proxy_domain_area_and_text(qapp: Any) -> None:
    model = EventTableModel()
    model.add_batch([
        make_event(1, "sensor.kitchen_temp", "kitchen", "21.5"),
        make_event(2, "light.kitchen", "kitchen", "on"),
        make_event(3, "light.hall", "hall", "off"),
        make_event(4, "switch.pump", None, "on"),
    ])  # fmt: skip
    proxy = EventFilterProxy()
    proxy.setSourceModel(model)

    def shown() -> list[str]:
        return sorted(
            proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 1).entity_id for r in range(proxy.rowCount())
        )

    proxy.set_filters(domain="light")
    assert shown() == ["light.hall", "light.kitchen"]
    proxy.set_filters(area_id="kitchen")
    assert shown() == ["light.kitchen", "sensor.kitchen_temp"]
    proxy.set_filters(text="ON")
    assert shown() == ["light.kitchen", "switch.pump"]
    proxy.set_filters(domain="light", text="hall")
    assert shown() == ["light.hall"]
    model.add_batch([make_event(5, "light.hall", "hall", "on")])  # new rows are filtered as they arrive
    assert shown() == ["light.hall", "light.hall"]


# -- configuration form -------------------------------------------------------------------------


def test_config_form_round_trip_keeps_every_value_and_masked_secrets(qapp: Any, tmp_path: Path) -> None:
    config = make_gui_config(
        tmp_path, home_assistant=HomeAssistantConfig(url="http://ha.local:8123", token="s3cret")
    )
    form = ConfigForm()
    form.load(config)
    token = form.inputs[("home_assistant", "token")]
    assert token.text() == "" and "set" in token.placeholderText()  # the secret is never shown
    assert form.build_config() == config  # untouched secret kept, every other key round-trips


def test_config_form_validation_names_the_key_and_marks_the_field(qapp: Any, tmp_path: Path) -> None:
    form = ConfigForm()
    form.load(make_gui_config(tmp_path))
    form.inputs[("storage", "batch_size")].setText("lots")
    with pytest.raises(ConfigError) as err:
        form.build_config()
    assert err.value.key == "storage.batch_size"
    assert form.inputs[("storage", "batch_size")].property("invalid") is True
    form.inputs[("storage", "batch_size")].setText("0")
    with pytest.raises(ConfigError, match="between 1 and 100000"):
        form.build_config()
    form.inputs[("storage", "batch_size")].setText("800")
    form.inputs[("home_assistant", "url")].setText("ftp://nowhere")
    with pytest.raises(ConfigError) as err:
        form.build_config()
    assert err.value.key == "home_assistant.url"
    form.inputs[("home_assistant", "url")].setText("")
    assert form.build_config().storage.batch_size == 800


# -- kiosk --------------------------------------------------------------------------------------


class FakeWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.tabs = QTabWidget()
        for name in ("a", "b", "c"):
            self.tabs.addTab(QWidget(), name)
        self.setCentralWidget(self.tabs)
        self.notices: list[str] = []

    def show_notice(self, text: str, t: float | None = None) -> None:
        self.notices.append(text)


@pytest.fixture
def kiosk(qapp: Any, tmp_path: Path) -> Any:
    window = FakeWindow()
    controller = KioskController(window, ThemeManager(qapp), autostart_path=tmp_path / "a.desktop")
    controller.exit_button.hold_ms = 300
    controller.exit_button._timer.setInterval(300)
    yield controller
    controller.set_enabled(False)
    window.deleteLater()


async def press(qtbot: Any, button: Any, hold_s: float) -> None:
    qtbot.mousePress(button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    await asyncio.sleep(hold_s)
    qtbot.mouseRelease(button, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))
    await asyncio.sleep(0.05)


@pytest.mark.gui
async def test_kiosk_exit_needs_a_long_press_and_the_pin(qtbot: Any, kiosk: Any) -> None:
    kiosk.apply_config(UiConfig(kiosk=True, kiosk_pin="2468"))
    assert "2468" not in kiosk.pin  # only the salted hash is kept (core/pin.py)
    window = kiosk.window
    assert kiosk.enabled and window.isFullScreen()
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    assert kiosk.exit_button.isVisible() and kiosk.exit_button.minimumSizeHint().height() >= 48
    await press(qtbot, kiosk.exit_button, 0.05)  # a short press does nothing but hint
    assert kiosk.enabled and not kiosk.pin_pad.isVisible()
    assert window.notices == ["hold the button to leave kiosk mode"]
    await press(qtbot, kiosk.exit_button, 0.5)  # a long press asks for the PIN
    assert kiosk.enabled and kiosk.pin_pad.isVisible()
    kiosk.pin_pad.entry.setText("1111")
    kiosk.pin_pad._submit()
    assert kiosk.enabled and "wrong PIN" in kiosk.pin_pad.message.text()
    for digit in "2468":
        kiosk.pin_pad._press(digit)
    kiosk.pin_pad._press("OK")
    assert not kiosk.enabled and not window.isFullScreen() and not kiosk.pin_pad.isVisible()
    assert not window.windowFlags() & Qt.WindowType.FramelessWindowHint


@pytest.mark.gui
async def test_kiosk_without_pin_exits_on_long_press(qtbot: Any, kiosk: Any) -> None:
    kiosk.apply_config(UiConfig(kiosk=True))
    await press(qtbot, kiosk.exit_button, 0.5)
    assert not kiosk.enabled


def test_kiosk_dimming_schedule_pixel_shift_rotation_and_cursor(qapp: Any, kiosk: Any) -> None:
    assert parse_hhmm("22:00") == dtime(22) and parse_hhmm("25:99") is None
    assert in_dim_window(dtime(23, 30), dtime(22), dtime(6, 30))  # wraps over midnight
    assert in_dim_window(dtime(3), dtime(22), dtime(6, 30))
    assert not in_dim_window(dtime(12), dtime(22), dtime(6, 30))
    assert in_dim_window(dtime(13), dtime(12), dtime(14)) and not in_dim_window(
        dtime(15), dtime(12), dtime(14)
    )
    kiosk.apply_config(
        UiConfig(kiosk=True, kiosk_rotate_s=30, kiosk_dim_start="22:00", kiosk_dim_end="06:30")
    )
    assert kiosk.update_dimming(dtime(23)) and kiosk.overlay.isVisible()
    assert not kiosk.update_dimming(dtime(12)) and not kiosk.overlay.isVisible()
    shifts = {kiosk.shift_pixels() for _ in range(4)}
    assert shifts == {(0, 0), (1, 0), (1, 1), (0, 1)}  # one pixel, and back
    assert kiosk._rotate.isActive() and kiosk._rotate.interval() == 30_000
    kiosk.rotate_tab()
    assert kiosk.window.tabs.currentIndex() == 1
    kiosk._hide_cursor()
    assert kiosk.cursor_hidden and qapp.overrideCursor().shape() == Qt.CursorShape.BlankCursor
    kiosk._show_cursor()
    assert not kiosk.cursor_hidden


def test_autostart_entry_written_and_removed(qapp: Any, kiosk: Any, tmp_path: Path) -> None:
    path = tmp_path / "a.desktop"
    kiosk.apply_config(UiConfig(autostart=True))
    text = path.read_text()
    assert "[Desktop Entry]" in text and "Exec=" in text and "main.py" in text
    kiosk.apply_config(UiConfig(autostart=False))
    assert not path.exists()
    assert autostart.default_path().name == "ha-ingestor.desktop"


def test_start_in_kiosk_mode_at_login(qapp: Any, kiosk: Any, tmp_path: Path) -> None:
    path = tmp_path / "a.desktop"
    kiosk.apply_config(UiConfig(autostart_kiosk=True))
    exec_line = next(line for line in path.read_text().splitlines() if line.startswith("Exec="))
    assert exec_line.endswith(" --kiosk")
    assert autostart.current(path) is autostart.LoginStart.KIOSK
    kiosk.apply_config(UiConfig(autostart=True))  # back to the normal window: the entry is rewritten
    assert "--kiosk" not in path.read_text() and autostart.current(path) is autostart.LoginStart.WINDOW
    kiosk.apply_config(UiConfig())
    assert autostart.current(path) is autostart.LoginStart.OFF


def test_login_choices_in_the_tray_menu_and_the_config_form(qapp: Any) -> None:
    from app.config_form import LABELS
    from app.tray import LOGIN_START_LABELS

    texts = set(LOGIN_START_LABELS.values())
    assert texts == {"Start when I log in", "Start in kiosk mode when I log in"}
    assert {LABELS[("ui", "autostart")], LABELS[("ui", "autostart_kiosk")]} == texts
    assert "display N" in LABELS[("ui", "screen")]


# -- notifications --------------------------------------------------------------------------------


def test_notification_gate_deduplicates_and_rate_limits() -> None:
    now = [1000.0]
    gate = NotificationGate(min_interval_s=10, dedup_s=600, clock=lambda: now[0])
    assert gate.allow("health:degraded")
    now[0] += 2
    assert not gate.allow("alert:1")  # rate limited
    now[0] += 10
    assert gate.allow("alert:1")
    now[0] += 20
    assert not gate.allow("health:degraded")  # the same notification within the dedup window
    now[0] += 600
    assert gate.allow("health:degraded")


def test_fmt_never_invents_a_number() -> None:
    assert fmt.number(None) == fmt.rate(None) == fmt.ms(None) == fmt.size(None) == fmt.DASH
    assert fmt.duration(3725) == "1 h 2 min" and fmt.size(2048) == "2.0 KB" and fmt.rate(1234.4) == "1,234/s"


def test_setup_needed_only_on_first_run(tmp_path: Path) -> None:
    from app.setup_dialog import needs_setup
    from main import build_parser

    def args(*argv: str) -> object:  # the command line as the entry point parses it
        return build_parser().parse_args(list(argv))

    fresh = AppConfig()
    assert needs_setup(fresh, args())
    assert not needs_setup(fresh, args("--demo"))
    assert not needs_setup(fresh, args("--screenshots", str(tmp_path)))
    assert not needs_setup(replace(fresh, ui=UiConfig(setup_done=True)), args())
    assert not needs_setup(replace(fresh, home_assistant=HomeAssistantConfig(url="http://h:8123")), None)


def test_bridge_relays_a_watched_engine_topic_once(qapp: Any) -> None:
    from app.bridge import Bridge
    from core.bus import Bus

    bus = Bus()
    bridge = Bridge(bus)
    got: list[tuple[str, Any]] = []
    bridge.topic_event.connect(lambda topic, payload: got.append((topic, payload)))
    bus.publish("sports.event", "ignored: nobody watches yet")
    bridge.watch("sports.event")
    bridge.watch("sports.event")  # a second tab watching the same topic adds no second relay
    bus.publish("sports.event", {"type": "score_changed"})
    assert got == [("sports.event", {"type": "score_changed"})]
    bridge.detach()
    bus.publish("sports.event", "after detach")
    assert len(got) == 1
