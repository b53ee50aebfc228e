"""Fix summaries name the dependency or toolchain edit of any ecosystem's manifest."""

from __future__ import annotations

import pytest

from memory_store.bugs.diffs import parse_unified_diff, summarize


def _diff(path: str, body: str) -> str:
    return f"diff --git a/{path} b/{path}\n--- a/{path}\n+++ b/{path}\n@@ -1,6 +1,6 @@\n{body}"


@pytest.mark.parametrize("path, body, summary", [
    ("go.mod", " module example.com/shop\n \n-go 1.20\n+go 1.22\n require (\n-\tgithub.com/lib/pq v1.10.7\n"
               "+\tgithub.com/lib/pq v1.10.9\n )\n",
     "changed go (1.22) in go.mod; changed github.com/lib/pq (v1.10.9) in go.mod"),
    ("Cargo.toml", " [package]\n-edition = \"2018\"\n+edition = \"2021\"\n [dependencies]\n"
                   "+openssl = { version = \"0.10\", features = [\"vendored\"] }\n",
     "added openssl to Cargo.toml"),
    ("app/build.gradle.kts", " android {\n+    namespace = \"com.acme.shop\"\n     compileSdk = 34\n }\n"
                             "-    implementation(\"org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.7.10\")\n",
     "added namespace to app/build.gradle.kts; removed org.jetbrains.kotlin:kotlin-stdlib-jdk8 from "
     "app/build.gradle.kts"),
    ("pom.xml", "     <dependency>\n       <groupId>javax.xml.bind</groupId>\n"
                "       <artifactId>jaxb-api</artifactId>\n"
                "-      <version>2.2.11</version>\n+      <version>2.3.1</version>\n     </dependency>\n"
                "-    <maven.compiler.source>1.6</maven.compiler.source>\n"
                "+    <maven.compiler.source>1.8</maven.compiler.source>\n",
     "changed jaxb-api (2.3.1) in pom.xml; changed maven.compiler.source (1.8) in pom.xml"),
    ("src/Shop/Shop.csproj", "   <PropertyGroup>\n-    <TargetFramework>net6.0</TargetFramework>\n"
                             "+    <TargetFramework>net5.0</TargetFramework>\n"
                             "+    <PackageReference Include=\"Npgsql\" Version=\"8.0.1\" />\n",
     "changed TargetFramework (net5.0) in src/Shop/Shop.csproj; added Npgsql to src/Shop/Shop.csproj"),
    ("Gemfile", " gem 'rails', '~> 7.0'\n+gem 'net-smtp', require: false\n-ruby '3.0.4'\n+ruby '3.1.2'\n",
     "added net-smtp to Gemfile; changed ruby (3.1.2) in Gemfile"),
])
def test_manifest_edits_in_the_fix_summary(path: str, body: str, summary: str) -> None:
    assert summarize(parse_unified_diff(_diff(path, body))) == summary


def test_a_moved_manifest_line_is_no_change() -> None:
    body = "-gem 'pg', '~> 1.5'\n gem 'rails', '~> 7.0'\n+gem 'pg', '~> 1.5'\n"
    assert summarize(parse_unified_diff(_diff("Gemfile", body))) == "edited Gemfile (+1 -1)"
