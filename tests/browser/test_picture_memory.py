"""Your own picture on a real server: pictures too big to decode get their one sentence, and the
server's memory stays bounded (its peak resident size, read from /proc, before and after).

The server first finishes its warm-up (TensorFlow loads in the background a few seconds after the
first data page: +800 MB, measured), so that the growth measured is the pictures'. The peak (VmHWM)
is then reset to the present size (writing 5 to /proc/<pid>/clear_refs), so an earlier peak
cannot hide growth.
"""

import os
import re
import time
from pathlib import Path

import pytest

from fmnist_core.data.upload import TOO_MANY_PIXELS
from tests.test_picture import (
    decompression_bomb,
    encode,
    flat_12000,
    scene,
    sixteen_bit_6300,
    sixteen_bit_at_the_limit,
)
from tools.browser import EXCEPTION, PAGE_MS, VIEWPORT, expect_page
from ui.resources import WARM_UP_AFTER_SECONDS

pytestmark = pytest.mark.browser

MAX_GROWTH = 200 * 2**20  # bytes the server may grow by, for the bad pictures or one at the limit
STEPS_HEADING = "From your picture to 28×28 pixels"
QUIET_SECONDS = WARM_UP_AFTER_SECONDS + 2  # longer than the pause before the warm-up starts
SETTLE_SECONDS = 300


class Memory:
    """The resident memory of one process, from /proc: its present size and its peak since `reset`."""

    def __init__(self, pid: int):
        self.status, self.clear_refs = Path(f"/proc/{pid}/status"), Path(f"/proc/{pid}/clear_refs")

    def _read(self, key: str) -> int:
        return int(re.search(rf"^{key}:\s+(\d+) kB$", self.status.read_text(), re.MULTILINE)[1]) * 1024

    def reset(self) -> int:
        """Starts the peak again from the present size, and returns that size in bytes."""
        self.clear_refs.write_text("5")
        return self._read("VmRSS")

    def peak(self) -> int:
        return self._read("VmHWM")

    def size(self) -> int:
        return self._read("VmRSS")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def settle(pid: int) -> None:
    """Waits until the server is quiet: QUIET_SECONDS in which it used under 5 % of a core and its
    memory stayed within 4 MB (its warm-up done; idle, it uses about 1 %)."""
    memory, deadline, samples = Memory(pid), time.monotonic() + SETTLE_SECONDS, []
    while time.monotonic() < deadline:
        samples.append((time.monotonic(), cpu_seconds(pid), memory.size()))
        samples = [sample for sample in samples if sample[0] >= samples[-1][0] - QUIET_SECONDS]
        (start, cpu_start, _), (now, cpu_now, _) = samples[0], samples[-1]
        sizes = [size for *_, size in samples]
        if (now - start >= QUIET_SECONDS - 0.5 and cpu_now - cpu_start < 0.05 * (now - start)
                and max(sizes) - min(sizes) < 4 * 2**20):
            return
        time.sleep(0.5)
    raise TimeoutError(f"the server was still busy after {SETTLE_SECONDS} s")


@pytest.fixture
def picture_page(browser, app_server):
    """The page in a new tab, with an ordinary picture uploaded and shown (its code paths warm),
    on a server done with its warm-up."""
    context = browser.new_context(viewport=VIEWPORT, base_url=app_server.url)
    context.set_default_timeout(PAGE_MS)
    tab = context.new_page()
    tab.goto("/Your_picture")
    expect_page(tab, "Your_picture")
    upload(tab, "shirt.png", encode(scene()))
    tab.get_by_role("heading", name=STEPS_HEADING).wait_for()
    settle(app_server.process.pid)
    yield tab
    context.close()


def upload(page, name: str, raw: bytes) -> None:
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": "image/png", "buffer": raw}])


def megabytes(size: int) -> str:
    return f"{size / 2**20:+.1f} MB"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # from making them here
def test_pictures_too_big_to_decode_get_one_sentence_and_the_server_stays_small(app_server, picture_page):
    page = picture_page
    bad = {"6300x6300, 16 bits.png": sixteen_bit_6300(), "12000x12000, flat.png": flat_12000(),
           "bomb.png": decompression_bomb()}
    memory = Memory(app_server.process.pid)
    start = memory.reset()
    for name, raw in bad.items():
        upload(page, name, raw)
        page.get_by_role("heading", name=STEPS_HEADING).wait_for(state="detached")  # this one's run
        page.get_by_text(TOO_MANY_PIXELS).wait_for()
        assert page.get_by_text(TOO_MANY_PIXELS).count() == 1  # one sentence, said once
        assert page.locator(EXCEPTION).count() == 0
        upload(page, "shirt.png", encode(scene()))  # back to a picture, so the next has to be read
        page.get_by_role("heading", name=STEPS_HEADING).wait_for()
    growth = memory.peak() - start
    print(f"\nserver at {start / 2**20:.0f} MB; its peak while refusing "
          f"{', '.join(f'{name} ({len(raw) / 1000:.0f} kB)' for name, raw in bad.items())}: "
          f"{megabytes(growth)}")
    assert growth <= MAX_GROWTH, megabytes(growth)


def test_a_picture_at_the_limit_is_shown_and_the_server_stays_small(app_server, picture_page):
    page = picture_page
    raw = sixteen_bit_at_the_limit()
    memory = Memory(app_server.process.pid)
    start = memory.reset()
    upload(page, "4200x3000, 16 bits.png", raw)
    page.get_by_text("Your PNG picture is 4,200×3,000 pixels.").wait_for()
    assert page.locator('[data-testid="stImage"]').count() == 6
    assert page.locator(EXCEPTION).count() == 0
    growth = memory.peak() - start
    print(f"\nserver at {start / 2**20:.0f} MB; its peak while showing a 16-bit PNG of 4200×3000 "
          f"({len(raw) / 1000:.0f} kB): {megabytes(growth)}")
    assert growth <= MAX_GROWTH, megabytes(growth)
