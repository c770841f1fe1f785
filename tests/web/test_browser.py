"""Browser tests: Playwright drives Debian's Chromium against `likstall serve` on loopback.

Every role logs in through the form and walks every page; axe-core (from the npm registry) checks
WCAG 2.1 AA on each; an admin uploads a messy file and reads its quarantine; an analyst downloads
each report format; each role's forbidden pages and rows stay hidden. Screenshots go to
tests/web/screenshots/ (not committed) for people to look at.
"""

from __future__ import annotations

import shutil
import socket
import threading
import time
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import sync_playwright

from likstall.web.app import PAGES, create_app
from likstall.web.users import add_user

# A real Chromium per module, pages for four roles: the full run (CI), not the quick run.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / ".cache" / "node" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = Path(__file__).parent / "screenshots"
PASSWORD = "ett-langt-losenord"
USERS = {"admin": ("anna", None), "analytiker": ("ali", None), "stadsdel": ("fia", "farsta"), "lasare": ("lo", None)}
CHROMIUM_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(demo_released, tmp_path_factory):
    assert AXE.exists(), "axe-core is missing: run scripts/browser-deps.sh (./test.sh does)"
    assert Path("/usr/bin/chromium").exists(), "Chromium is missing: run scripts/browser-deps.sh"
    from likstall.release import make_release

    db = tmp_path_factory.mktemp("browser") / "web.duckdb"
    shutil.copy(demo_released, db)
    make_release(db, 2020)  # a second release: the district pages show a change since the release before
    for role, (name, district) in USERS.items():
        add_user(db, name, role, district, PASSWORD)
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(db, login_delay=0), host="127.0.0.1", port=port,
                                        log_level="warning", access_log=False))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    for _ in range(100):
        if srv.started:
            break
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def logged_in(browser, server, role):
    # axe is injected into the page; bypass_csp lets the test do that without loosening the app's CSP.
    ctx = browser.new_context(bypass_csp=True, accept_downloads=True, viewport={"width": 1280, "height": 900})
    # axe is loaded into every page of the context as it is created (an init script), not sent over the
    # wire and added again after each page has loaded: 0,2–0,3 s less per page.
    ctx.add_init_script(path=str(AXE))
    page = ctx.new_page()
    page.goto(f"{server}/login")
    page.get_by_label("Användarnamn").fill(USERS[role][0])
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{server}/")
    return ctx, page


def axe_violations(page) -> list:
    if not page.evaluate("typeof axe !== 'undefined'"):  # a context made without logged_in
        page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    # resultTypes: only the violations are listed in full (axe then keeps one node of each passed or
    # incomplete rule instead of all of them); every rule still runs on every node.
    result = page.evaluate("""async () => await axe.run(document, {runOnly: {type: 'tag',
        values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}, resultTypes: ['violations']})""")
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"][:3]]) for v in result["violations"]]


@pytest.mark.parametrize("role", list(USERS))
def test_every_page_for_every_role_is_accessible(browser, server, role):
    SHOTS.mkdir(exist_ok=True)
    ctx, page = logged_in(browser, server, role)
    links = page.locator("nav a")
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    allowed = [p for p, (_, roles) in PAGES.items() if role in roles]
    assert len(hrefs) == len(allowed) + (1 if role == "stadsdel" else 0)
    for href in hrefs:
        page.goto(server + href)
        assert page.locator("h1").count() == 1
        assert page.get_attribute("html", "lang") == "sv"
        violations = axe_violations(page)
        assert violations == [], (href, violations)
        page.screenshot(path=str(SHOTS / f"{role}{href.replace('/', '_') or '_'}.png"), full_page=False)
    ctx.close()


def test_axe_as_loaded_here_reports_what_it_should(browser, server):
    """The check above is only as good as axe in these contexts: a page with known faults reports each."""
    ctx, page = logged_in(browser, server, "lasare")
    page.goto("data:text/html,<html><body><img src='x.png'><a href='/y'></a>"
              "<p style='color:%23777;background:%23888'>svag kontrast</p></body></html>")
    found = {rule for rule, _, _ in axe_violations(page)}
    assert {"image-alt", "link-name", "color-contrast", "document-title", "html-has-lang"} <= found, found
    ctx.close()


def test_keyboard_reaches_the_skip_link_and_the_menu(browser, server):
    ctx, page = logged_in(browser, server, "analytiker")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.tagName") in ("A", "BUTTON")
    ctx.close()


def test_what_each_role_must_not_see(browser, server):
    """Released numbers are public (every role sees every district); internal data is scoped."""
    ctx, page = logged_in(browser, server, "stadsdel")
    assert "Bromma" in page.locator("main").inner_text()
    assert page.goto(f"{server}/stadsdel/bromma").status == 200
    assert page.goto(f"{server}/import").status == 403
    assert page.goto(f"{server}/logg").status == 403
    assert page.goto(f"{server}/karantan").status == 200
    districts = page.locator("main tbody tr td:last-child").all_inner_texts()
    assert districts and set(districts) == {"farsta"}  # only its own district's quarantine rows
    ctx.close()
    ctx, page = logged_in(browser, server, "lasare")
    assert page.locator("nav a", has_text="Karantän").count() == 0
    assert page.goto(f"{server}/karantan").status == 403
    assert page.goto(f"{server}/logg").status == 403
    ctx.close()


def test_admin_uploads_a_messy_file_and_reads_its_quarantine(browser, server, tmp_path, demo_store, monkeypatch):
    monkeypatch.setenv("LIKSTALL_KEY_FILE", str(demo_store.parent / "secret.key"))  # the server holds the store's key
    messy = tmp_path / "cases.csv"
    messy.write_text("case_id,person_id,district,opened,sex,anteckning\n"
                     "AR-W-1,P-W-1,farsta,2021-05-01,??,\n"
                     "AR-W-2,P-W-2,farsta,2021-02-30,K,\n"
                     "AR-W-3,P-W-3,farsta,2021-05-03,K,ring 19121212-1212\n", encoding="utf-8")
    ctx, page = logged_in(browser, server, "admin")
    page.goto(f"{server}/import")
    page.set_input_files("#files", str(messy))
    page.fill("#extract_date", "2022-01-31")
    page.get_by_role("button", name="Kontrollera").click()
    text = page.locator("main").inner_text()
    assert "3 i karantän" in text and "invalid_code" in text and "invalid_date" in text and "personnummer" in text
    assert "19121212" not in text
    page.screenshot(path=str(SHOTS / "admin_import_quarantine.png"))
    assert axe_violations(page) == []
    page.get_by_role("button", name="Kasta").click()
    page.wait_for_url(f"{server}/import")
    ctx.close()


def test_analyst_downloads_each_report_format(browser, server):
    ctx, page = logged_in(browser, server, "analytiker")
    page.goto(f"{server}/rapporter")
    for fmt, magic in (("html", b"<!DOCTYPE html>"), ("pdf", b"%PDF"), ("xlsx", b"PK"), ("csv", b"table,")):
        # The first request of a format renders it (the PDF takes tens of seconds on a busy 2-core machine
        # running the suite on both cores); the default 30 s is a browser limit, not a promise of ours.
        with page.expect_download(timeout=180_000) as dl:
            page.get_by_role("link", name=f"{fmt.upper()} 2021").click(timeout=180_000)
        data = Path(dl.value.path()).read_bytes()
        if fmt == "csv":  # the provenance comes first, as `# ...` lines (docs/report.md), then the header
            data = b"\n".join(line for line in data.split(b"\n") if not line.startswith(b"# "))
        assert data.startswith(magic), fmt
    ctx.close()


def test_the_comparing_pages_work_without_script_and_are_accessible(browser, server):
    """The overview filtered with the GET form (no JavaScript), sorted by a link, an indicator's metadata
    page and a district's profile across releases: axe finds nothing, and each is photographed."""
    ctx, page = logged_in(browser, server, "lasare")
    page.goto(f"{server}/jamfor")
    assert page.locator("table.spine").count() >= 6 and axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "lasare_jamfor.png"), full_page=True)
    page.select_option("#fraga", "placements")
    page.select_option("#region", index=1)
    page.get_by_role("button", name="Visa").click()
    page.wait_for_url("**fraga=placements**")
    assert page.locator("table.spine").count() == 1
    page.get_by_role("link", name="Sortera efter Placeringar i skyddat boende: observerat/förväntat efter ålder, kön "
                                   "och socioekonomi, fallande").click()
    page.wait_for_url("**sortera=sb_ratio_socio**")
    assert page.locator("th[aria-sort=descending]").count() == 1
    assert axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "lasare_jamfor_fraga1_sorterad.png"), full_page=True)
    page.locator("table.spine thead a", has_text="Andel beviljade").first.click()
    page.wait_for_url("**/indikator/sb_grant_rate**")
    assert "Täljare" in page.locator("main").inner_text() and axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "lasare_indikator_sb_grant_rate.png"), full_page=True)
    page.goto(f"{server}/indikatorer")
    assert axe_violations(page) == []
    page.goto(f"{server}/stadsdel/farsta")
    text = page.locator("main").inner_text()
    assert "Förändring 2020–2021" in text and axe_violations(page) == []
    page.screenshot(path=str(SHOTS / "lasare_stadsdel_farsta.png"), full_page=True)
    with page.expect_download() as dl:
        page.goto(f"{server}/rapporter")
        page.get_by_role("link", name="likstallighet.xlsx").click()
    assert Path(dl.value.path()).read_bytes().startswith(b"PK")
    ctx.close()
