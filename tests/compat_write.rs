//! Compatibility, write mode: in the third-party apps of the corpus (`tests/corpus`), the agent
//! types and presses Enter, clicks, picks from selects and ticks checkboxes, and the apps take it
//! as they take a person's input (they read keys by `keyCode`, `which` and `keypress`, open menus
//! on hover, pick dates from their own calendars).

pub mod support;

use support::corpus;
use support::fidelity::wait_for_fidelity;
use support::*;

/// A session on the corpus in write mode: the customer on `path`, the agent joined and allowed.
async fn write_session(path: &str) -> (TestServer, Person, Person) {
    corpus::ensure_installed();
    let server = TestServer::builder().start().await;
    let customer = Person::launch("customer").await;
    let agent = Person::launch("agent").await;
    customer.set_window(1000, 700).await;
    agent.set_window(1240, 860).await;
    customer.goto(&format!("{}{path}", server.corpus)).await;
    let id = start_session(&customer).await;
    join(&agent, &server.server, &id).await;
    allow_write_mode(&customer, &agent).await;
    (server, customer, agent)
}

/// The customer opens `path`; returns once the agent sees it.
async fn open(server: &TestServer, customer: &Tab, agent: &Tab, path: &str) {
    customer.goto(&format!("{}{path}", server.corpus)).await;
    let seen = wait_for_fidelity(customer, agent, 0.99, path).await;
    assert!(seen >= 0.99, "the agent sees {path} only {seen:.3}");
}

async fn finish(server: TestServer, customer: Person, agent: Person) {
    customer.close().await;
    agent.close().await;
    server.stop().await;
}

const TODO_APPS: &[&str] =
    &["react", "vue", "jquery", "backbone", "angularjs", "knockoutjs", "mithril", "emberjs", "vanillajs"];
const TODO_ITEMS: &str = "[...document.querySelectorAll('#todo-list li, .todo-list li')]";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_every_todomvc_app_the_agent_adds_an_item_with_enter_ticks_it_and_filters() {
    let _serial = SERIAL.lock().await;
    let (server, customer, agent) = write_session("/todomvc/examples/react/index.html").await;
    for app in TODO_APPS {
        let path = format!("/todomvc/examples/{app}/index.html");
        open(&server, &customer, &agent, &path).await;
        // Type + Enter: the app reads the key by keyCode, which or keypress, as each does.
        agent_clicks_on(&customer, &agent, "document.querySelector('#new-todo, .new-todo')").await;
        customer
            .wait_for(
                &format!("{app}: the field has focus"),
                "!!document.activeElement.matches('#new-todo, .new-todo')",
            )
            .await;
        agent.press_keys("Buy milk").await;
        customer.wait_for(&format!("{app}: the typing lands"), "document.activeElement.value === 'Buy milk'").await;
        agent.press_key("Enter").await;
        customer
            .wait_for(
                &format!("{app}: Enter adds the item"),
                &format!("{TODO_ITEMS}.some((li) => li.textContent.trim() === 'Buy milk')"),
            )
            .await;
        // Checkbox: the item's tick marks it done, clicked once the agent sees the item (as a
        // person would: a click sent before the replica has the item lands on what was there).
        agent_sees(&customer, &agent, &format!("{TODO_ITEMS}.find((li) => li.textContent.trim() === 'Buy milk')"))
            .await;
        agent_clicks_on(&customer, &agent, "document.querySelector('#todo-list li .toggle, .todo-list li .toggle')")
            .await;
        customer
            .wait_for(
                &format!("{app}: the tick marks it done"),
                &format!("{TODO_ITEMS}.some((li) => li.classList.contains('completed'))"),
            )
            .await;
        // Click: the "Active" filter hides the done item.
        let active =
            "[...document.querySelectorAll('#filters a, .filters a')].find((a) => a.textContent.trim() === 'Active')";
        agent_clicks_on(&customer, &agent, active).await;
        customer
            .wait_for(
                &format!("{app}: the filter applies"),
                &format!("{active}.classList.contains('selected') && !{TODO_ITEMS}.some((li) => li.textContent.trim() === 'Buy milk' && li.offsetParent)"),
            )
            .await;
        // The agent sees what the customer sees.
        let seen = wait_for_fidelity(&customer, &agent, 0.99, &path).await;
        assert!(seen >= 0.99, "{app}: after the agent's input the agent sees {seen:.3}");
    }
    finish(server, customer, agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_the_admin_dashboard_the_agent_filters_pages_sorts_and_ticks() {
    let _serial = SERIAL.lock().await;
    let (server, customer, agent) = write_session("/startbootstrap-sb-admin-2/tables.html").await;
    let rows = "document.querySelectorAll('#dataTable tbody tr').length";
    // Select: DataTables' "Show 10 entries" through the agent's picker.
    agent_clicks_on(&customer, &agent, "document.querySelector('select[name=dataTable_length]')").await;
    agent
        .wait_for("the agent's picker lists the page sizes", "(() => { const l = document.querySelector('.picker select'); return l && [...l.options].map((o) => o.text).join() === '10,25,50,100'; })()")
        .await;
    agent.click_element("[...document.querySelectorAll('.picker option')].find((o) => o.text === '25')").await;
    customer.wait_for("25 rows a page", &format!("{rows} === 25")).await;
    // Click: a column header sorts the table.
    agent_clicks_on(
        &customer,
        &agent,
        "[...document.querySelectorAll('#dataTable thead th')].find((th) => th.textContent.trim() === 'Age')",
    )
    .await;
    customer
        .wait_for("sorted by age", "[...document.querySelectorAll('#dataTable thead th')].find((th) => th.textContent.trim() === 'Age').classList.contains('sorting_asc')")
        .await;
    // Type + Enter: the search filters as it is typed.
    agent_clicks_on(&customer, &agent, "document.querySelector('#dataTable_filter input')").await;
    agent.press_keys("London").await;
    agent.press_key("Enter").await;
    customer
        .wait_for(
            "only London rows",
            "[...document.querySelectorAll('#dataTable tbody tr')].every((tr) => tr.textContent.includes('London'))",
        )
        .await;
    let seen = wait_for_fidelity(&customer, &agent, 0.99, "tables-after").await;
    assert!(seen >= 0.99, "after filtering the agent sees {seen:.3}");

    // Checkbox: "Remember Me" on the sign-in page is a styled box; its label ticks it.
    open(&server, &customer, &agent, "/startbootstrap-sb-admin-2/login.html").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('label[for=customCheck]')").await;
    customer.wait_for("remembered", "document.getElementById('customCheck').checked").await;
    agent_clicks_on(&customer, &agent, "document.getElementById('exampleInputEmail')").await;
    agent.press_keys("ada@example.com").await;
    customer
        .wait_for("the address lands", "document.getElementById('exampleInputEmail').value === 'ada@example.com'")
        .await;
    finish(server, customer, agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jquery_ui_widgets_take_the_agents_keys_clicks_and_picks() {
    let _serial = SERIAL.lock().await;
    let (server, customer, agent) = write_session("/jquery-ui/demos/autocomplete/default.html").await;
    // Type, then pick a suggestion with the arrow keys and Enter (read by keyCode).
    agent_clicks_on(&customer, &agent, "document.getElementById('tags')").await;
    agent.press_keys("ja").await;
    customer.wait_for("suggestions", "[...document.querySelectorAll('.ui-autocomplete li')].some((li) => li.offsetParent && li.textContent === 'Java')").await;
    agent.press_key("ArrowDown").await;
    agent.press_key("Enter").await;
    customer.wait_for("the suggestion is taken", "document.getElementById('tags').value === 'Java'").await;

    // Select: a select menu widget (a button and a list over a hidden native select).
    open(&server, &customer, &agent, "/jquery-ui/demos/selectmenu/default.html").await;
    agent_clicks_on(&customer, &agent, "document.getElementById('speed-button')").await;
    customer.wait_for("the menu opens", "document.getElementById('speed-menu').offsetParent !== null && document.getElementById('speed-button').getAttribute('aria-expanded') === 'true'").await;
    let seen = wait_for_fidelity(&customer, &agent, 0.99, "selectmenu-open").await;
    assert!(seen >= 0.99, "the open menu shows for the agent only {seen:.3}");
    agent_clicks_on(
        &customer,
        &agent,
        "[...document.querySelectorAll('#speed-menu li')].find((li) => li.textContent === 'Fast')",
    )
    .await;
    customer.wait_for("the choice is taken", "document.getElementById('speed').value === 'Fast'").await;

    // Checkbox: the widget hides the native box; its label ticks it.
    open(&server, &customer, &agent, "/jquery-ui/demos/checkboxradio/default.html").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('label[for=checkbox-2]')").await;
    customer.wait_for("ticked", "document.getElementById('checkbox-2').checked").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('label[for=radio-2]')").await;
    customer.wait_for("the radio is chosen", "document.getElementById('radio-2').checked").await;

    // Hover: a menu opens its submenu under the agent's pointer.
    open(&server, &customer, &agent, "/jquery-ui/demos/menu/default.html").await;
    let music = "[...document.querySelectorAll('#menu li')].find((li) => li.firstElementChild && li.firstElementChild.textContent === 'Music')";
    agent_points_at(&customer, &agent, &format!("{music}.firstElementChild")).await;
    customer
        .wait_for("the submenu opens", &format!("{music}.querySelector('ul').getAttribute('aria-expanded') === 'true'"))
        .await;
    let seen = wait_for_fidelity(&customer, &agent, 0.99, "menu-open").await;
    assert!(seen >= 0.99, "the open submenu shows for the agent only {seen:.3}");

    // Click: a day in the date picker's calendar.
    open(&server, &customer, &agent, "/jquery-ui/demos/datepicker/default.html").await;
    agent_clicks_on(&customer, &agent, "document.getElementById('datepicker')").await;
    customer.wait_for("the calendar opens", "document.getElementById('ui-datepicker-div').offsetParent !== null").await;
    agent_clicks_on_when_seen(
        &customer,
        &agent,
        "[...document.querySelectorAll('#ui-datepicker-div td a')].find((a) => a.textContent === '15')",
    )
    .await;
    customer.wait_for("the date is taken", "/\\/15\\//.test(document.getElementById('datepicker').value)").await;
    finish(server, customer, agent).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_tables_date_pickers_charts_and_landing_pages_take_the_agents_input() {
    let _serial = SERIAL.lock().await;
    let (server, customer, agent) = write_session("/simple-datatables/docs/demos/1-simple/index.html").await;
    let rows = "document.querySelectorAll('#demo-table tbody tr').length";
    // Select: rows per page, through the agent's picker.
    agent_clicks_on(&customer, &agent, "document.querySelector('.datatable-selector')").await;
    agent.wait_for("the agent's picker", "!!document.querySelector('.picker select')").await;
    agent.click_element("[...document.querySelectorAll('.picker option')].find((o) => o.text === '5')").await;
    customer.wait_for("5 rows a page", &format!("{rows} === 5")).await;
    // Type + Enter in the search box.
    agent_clicks_on(&customer, &agent, "document.querySelector('.datatable-input')").await;
    agent.press_keys("Unity").await;
    agent.press_key("Enter").await;
    customer
        .wait_for("the search filters", &format!("{rows} >= 1 && [...document.querySelectorAll('#demo-table tbody tr')].every((tr) => tr.textContent.includes('Unity'))"))
        .await;

    // Click: a day in a calendar that opens on focus.
    open(&server, &customer, &agent, "/vanillajs-datepicker/demo/index.html").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('input.date')").await;
    customer.wait_for("the calendar opens", "!!document.querySelector('.datepicker.active')").await;
    agent_clicks_on_when_seen(&customer, &agent, "[...document.querySelectorAll('.datepicker.active .datepicker-cell.day:not(.prev):not(.next)')].find((d) => d.textContent === '15')").await;
    customer.wait_for("the date is taken", "/15/.test(document.querySelector('input.date').value)").await;

    // Checkbox: a chart's series switched off redraws the canvas, and the agent sees it.
    open(&server, &customer, &agent, "/flot/examples/series-toggle/index.html").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('#choices input')").await;
    customer.wait_for("the series is off", "!document.querySelector('#choices input').checked").await;
    let seen = wait_for_fidelity(&customer, &agent, 0.99, "series-toggle").await;
    assert!(seen >= 0.99, "the redrawn chart shows for the agent only {seen:.3}");

    // A landing page: type into its contact form, click its navigation.
    open(&server, &customer, &agent, "/startbootstrap-agency/dist/index.html").await;
    agent_clicks_on(&customer, &agent, "document.querySelector('a.nav-link[href=\"#contact\"]')").await;
    customer.wait_for("the page goes to the form", "location.hash === '#contact'").await;
    // The page scrolls there smoothly; the agent clicks the field once it is in view.
    let seen = wait_for_fidelity(&customer, &agent, 0.99, "agency-contact").await;
    assert!(seen >= 0.99, "at the contact form the agent sees {seen:.3}");
    agent_clicks_on(&customer, &agent, "document.getElementById('name')").await;
    agent.press_keys("Ada Lovelace").await;
    customer.wait_for("the name lands", "document.getElementById('name').value === 'Ada Lovelace'").await;
    finish(server, customer, agent).await;
}
