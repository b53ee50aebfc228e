"""Java/Kotlin output: exceptions with Caused by chains, javac/kotlinc, Gradle, Maven, Android."""

from __future__ import annotations

from pathlib import Path

from memory_store.errors import parse_error
from memory_store.errors.normalize import fingerprint, message_template

CHAIN = """\
Exception in thread "main" java.lang.IllegalStateException: Failed to load ApplicationContext
\tat org.springframework.test.context.cache.DefaultCacheAwareContextLoaderDelegate.loadContext(DefaultCacheAwareContextLoaderDelegate.java:132)
\tat com.acme.shop.Main.main(Main.java:12)
Caused by: java.lang.NoClassDefFoundError: javax/xml/bind/JAXBException
\tat com.acme.shop.billing.InvoiceWriter.<init>(InvoiceWriter.java:31)
\tat com.acme.shop.billing.BillingConfig.invoiceWriter(BillingConfig.java:18)
\tat java.base/jdk.internal.reflect.NativeMethodAccessorImpl.invoke0(Native Method)
\t... 12 more
Caused by: java.lang.ClassNotFoundException: javax.xml.bind.JAXBException
\tat java.base/jdk.internal.loader.BuiltinClassLoader.loadClass(BuiltinClassLoader.java:641)
\tat java.base/java.lang.ClassLoader.loadClass(ClassLoader.java:525)
\t... 15 more
"""  # noqa: E501

GRADLE = """\
FAILURE: Build failed with an exception.

* What went wrong:
Execution failed for task ':app:checkDebugDuplicateClasses'.
> A failure occurred while executing com.android.build.gradle.internal.tasks.CheckDuplicatesRunnable
   > Duplicate class kotlin.collections.jdk8.CollectionsJDK8Kt found in modules kotlin-stdlib-1.8.0 (org.jetbrains.kotlin:kotlin-stdlib:1.8.0) and kotlin-stdlib-jdk8-1.7.10 (org.jetbrains.kotlin:kotlin-stdlib-jdk8:1.7.10)

* Try:
> Run with --stacktrace option to get the stack trace.
"""  # noqa: E501

MAVEN = """\
[INFO] BUILD FAILURE
[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.1:compile (default-compile) on project shop: Compilation failure
[ERROR] /home/dana/shop/src/main/java/com/acme/shop/Invoice.java:[5,23] package javax.xml.bind does not exist
[ERROR] -> [Help 1]
"""  # noqa: E501


def test_caused_by_chain_reports_the_root_cause() -> None:
    err = parse_error(CHAIN)
    assert err is not None
    assert (err.exc_type, err.message, err.language) == ("java.lang.ClassNotFoundException",
                                                         "javax.xml.bind.JAXBException", "java")
    assert err.chain[0].startswith("java.lang.IllegalStateException: Failed to load ApplicationContext")
    assert all(f.kind == "stdlib" for f in err.frames)  # the root cause's own frames are the JDK's


def test_frames_of_the_app_and_of_libraries() -> None:
    err = parse_error(CHAIN.split("Caused by: java.lang.ClassNotFoundException")[0])
    assert err is not None
    assert (err.exc_type, err.message) == ("java.lang.NoClassDefFoundError", "javax.xml.bind.JAXBException")
    kinds = {(f.module, f.function): f.kind for f in err.frames}
    assert kinds[("com.acme.shop.billing.InvoiceWriter", "<init>")] == "app"
    assert kinds[("jdk.internal.reflect.NativeMethodAccessorImpl", "invoke0")] == "stdlib"
    assert err.innermost_app_frame() is not None
    assert err.innermost_app_frame().path == "com/acme/shop/billing/InvoiceWriter.java"  # type: ignore[union-attr]


def test_gradle_block_innermost_reason() -> None:
    err = parse_error(GRADLE)
    assert err is not None
    assert err.exc_type == "gradle"
    assert err.message.startswith("Duplicate class kotlin.collections.jdk8.CollectionsJDK8Kt found in modules")
    assert "org.jetbrains.kotlin:kotlin-stdlib:1.8.0" in err.message  # package names and versions kept
    assert err.chain[0] == "Execution failed for task ':app:checkDebugDuplicateClasses'."


def test_maven_compiler_error_beats_the_goal_wrapper() -> None:
    err = parse_error(MAVEN)
    assert err is not None
    assert err.message == "package javax.xml.bind does not exist"
    assert err.location is not None and err.location.line == 5


def test_javac_and_kotlinc_lines() -> None:
    javac = parse_error("src/main/java/com/acme/App.java:7: error: cannot find symbol\n  symbol: class Foo\n")
    assert javac is not None and (javac.message, javac.language) == ("cannot find symbol", "java")
    kotlinc = parse_error("e: file:///home/dana/app/src/main/kotlin/Main.kt:12:5 Unresolved reference: foo")
    assert kotlinc is not None and (kotlinc.message, kotlinc.language) == ("Unresolved reference: foo", "kotlin")


def test_android_aapt_error() -> None:
    err = parse_error("ERROR:/home/dana/app/build/intermediates/values.xml:2: AAPT: error: resource "
                      "android:attr/lStar not found.")
    assert err is not None
    assert (err.code, err.message) == ("AAPT", "resource android:attr/lStar not found.")


def test_a_python_dotted_exception_line_stays_python() -> None:
    err = parse_error("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.acme.dev', port=443)")
    assert err is not None
    assert err.language == "python"


def test_app_frames_found_under_the_source_roots_of_the_workspace(tmp_path: Path) -> None:
    src = tmp_path / "billing" / "src" / "main" / "java" / "com" / "acme" / "billing"
    src.mkdir(parents=True)
    (src / "InvoiceWriter.java").write_text("package com.acme.billing;\n", encoding="utf-8")
    err = parse_error("Exception in thread \"main\" java.lang.IllegalStateException: no template\n"
                      "\tat com.acme.billing.InvoiceWriter.write(InvoiceWriter.java:31)\n"
                      "\tat com.acme.Main.main(Main.java:12)\n", tmp_path)
    assert err is not None
    paths = [f.path for f in err.frames]
    assert "billing/src/main/java/com/acme/billing/InvoiceWriter.java" in paths
    assert "com/acme/Main.java" in paths  # not in the workspace: the package path stays


def test_class_names_in_internal_and_descriptor_form_read_as_the_dotted_one() -> None:
    internal = parse_error('Exception in thread "main" java.lang.NoClassDefFoundError: com/acme/shop/App (wrong '
                           "name: App)\n\tat java.base/java.lang.ClassLoader.defineClass1(Native Method)\n")
    dotted = parse_error("java.lang.NoClassDefFoundError: com.acme.shop.App (wrong name: App)\n")
    assert internal is not None and dotted is not None
    assert fingerprint(internal) == fingerprint(dotted)
    method = parse_error('Exception in thread "main" java.lang.NoSuchMethodError: '
                         "com.google.common.base.Splitter.splitToList(Ljava/lang/CharSequence;)Ljava/util/List;\n"
                         "\tat com.acme.shop.Tags.parse(Tags.java:31)\n")
    assert method is not None
    assert message_template(method.exc_type, method.message) == (
        "com.google.common.base.Splitter.splitToList(java.lang.CharSequence)java.util.List")


def test_a_frame_line_of_non_ascii_digits_is_no_line() -> None:
    """``Main.java:1\u00b2`` (a superscript int() cannot read) keeps the frame without a line
    instead of raising."""
    err = parse_error('Exception in thread "main" java.lang.IllegalStateException: boom\n'
                      "\tat com.acme.shop.Main.main(Main.java:1\u00b2)\n")
    assert err is not None and [(f.function, f.line) for f in err.frames] == [("main", None)]
