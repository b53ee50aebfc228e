"""Frameworks' own failure reports: Spring Boot's failure analysis and Rails' multi-line
exception log."""

from __future__ import annotations

from memory_store.bugs.match import BugIndex
from memory_store.bugs.records import BugStore
from memory_store.errors import parse_error
from memory_store.workspace import Workspace

SPRING = """2024-05-01T10:00:00.000Z  INFO 1 --- [main] com.acme.ShopApplication : Starting ShopApplication
2024-05-01T10:00:02.000Z ERROR 1 --- [main] o.s.b.d.LoggingFailureAnalysisReporter :

***************************
APPLICATION FAILED TO START
***************************

Description:

Failed to configure a DataSource: 'url' attribute is not specified and no embedded datasource could be configured.

Reason: Failed to determine a suitable driver class


Action:

Consider the following:
	If you want an embedded database (H2, HSQL or Derby), please put it on the classpath.
	If you have database settings to be loaded from a particular profile you may need to activate it.

"""

SPRING_PORT = """
***************************
APPLICATION FAILED TO START
***************************

Description:

Web server failed to start. Port 8080 was already in use.

Action:

Identify and stop the process that's listening on port 8080 or configure this application to listen on another port.
"""

RAILS = """Started GET "/" for 127.0.0.1 at 2024-05-01 10:00:00 +0000

ActiveRecord::PendingMigrationError (

Migrations are pending. To resolve this issue, run:

        bin/rails db:migrate RAILS_ENV=development

):
"""


def test_spring_boots_description_is_the_error() -> None:
    parsed = parse_error(SPRING)
    assert parsed is not None and parsed.exc_type == "spring-boot"
    assert parsed.message == ("Failed to configure a DataSource: 'url' attribute is not specified and no embedded "
                              "datasource could be configured.")
    assert "Reason: Failed to determine a suitable driver class" in parsed.detail
    assert "Action: Consider the following:" in parsed.detail


def test_two_spring_failures_are_two_errors(workspace: Workspace) -> None:
    store = BugStore(workspace)
    datasource = store.build(SPRING, "add spring.datasource.url for the dev profile", author="test")
    port = store.build(SPRING_PORT, "stop the old instance (lsof -i :8080) or set server.port", author="test")
    found = BugIndex([datasource, port]).match(SPRING_PORT.replace("8080", "9090"))
    assert found and found[0].record["id"] == port["id"] and found[0].confident


def test_a_banner_without_a_description_is_no_error_of_its_own() -> None:
    parsed = parse_error("APPLICATION FAILED TO START\n\nsomething else\n")
    assert parsed is None or parsed.exc_type != "spring-boot"


def test_rails_multi_line_exception_log() -> None:
    parsed = parse_error(RAILS)
    assert parsed is not None and parsed.exc_type == "ActiveRecord::PendingMigrationError"
    assert parsed.message == ("Migrations are pending. To resolve this issue, run: "
                              "bin/rails db:migrate RAILS_ENV=development")


CONDA = """PackagesNotFoundError: The following packages are not available from current channels:

  - tensorflow-gpu==1.15
  - cudatoolkit=10.0

Current channels:

  - https://repo.anaconda.com/pkgs/main/linux-64
"""


def test_a_message_ending_in_a_colon_takes_the_items_listed_under_it() -> None:
    parsed = parse_error(CONDA)
    assert parsed is not None and parsed.exc_type == "PackagesNotFoundError"
    assert parsed.message == ("The following packages are not available from current channels: "
                              "tensorflow-gpu==1.15, cudatoolkit=10.0")


def test_two_missing_packages_are_two_errors(workspace: Workspace) -> None:
    store = BugStore(workspace)
    rec = store.build(CONDA, "tensorflow-gpu 1.15 needs Python 3.7: create the env with python=3.7", author="test")
    other = CONDA.replace("tensorflow-gpu==1.15\n  - cudatoolkit=10.0", "pytorch3d")
    found = BugIndex([rec]).match(other)
    assert not found or not found[0].confident


def test_a_message_with_its_own_subject_keeps_its_words() -> None:
    parsed = parse_error("Error: Cannot find module 'dotenv'\nRequire stack:\n- /app/index.js\n")
    assert parsed is not None and parsed.message == "Cannot find module 'dotenv'"
