"""C#/.NET output (exceptions, MSBuild/compiler codes) and Ruby output (backtraces, LoadError, Bundler)."""

from __future__ import annotations

from pathlib import Path

from memory_store.errors import parse_error

DOTNET_EXC = """\
Unhandled exception. System.InvalidOperationException: Unable to resolve service for type 'Acme.Shop.ICart'
 ---> System.ArgumentNullException: Value cannot be null. (Parameter 'connectionString')
   at Npgsql.NpgsqlConnection..ctor(String connectionString)
   at Acme.Shop.Data.CartStore.Open() in {root}/src/Data/CartStore.cs:line 27
   at Acme.Shop.Program.Main(String[] args) in {root}/src/Program.cs:line 12
   --- End of inner exception stack trace ---
"""


def test_dotnet_inner_exception_is_the_error(tmp_path: Path) -> None:
    err = parse_error(DOTNET_EXC.format(root=tmp_path), tmp_path)
    assert err is not None
    assert (err.exc_type, err.language) == ("System.ArgumentNullException", "csharp")
    assert err.message == "Value cannot be null. (Parameter 'connectionString')"
    assert err.chain[0].startswith("System.InvalidOperationException: Unable to resolve service")
    app = err.innermost_app_frame()
    assert app is not None and (app.path, app.function, app.line) == ("src/Data/CartStore.cs", "Open", 27)
    assert err.frames[-1].kind == "library"  # Npgsql


def test_msbuild_diagnostic_codes() -> None:
    text = ("/usr/share/dotnet/sdk/6.0.100/Sdks/Microsoft.NET.Sdk/targets/Microsoft.NET.TargetFrameworkInference"
            ".targets(141,5): error NETSDK1045: The current .NET SDK does not support targeting .NET 8.0.  Either "
            "target .NET 6.0 or lower, or use a version of the .NET SDK that supports .NET 8.0. "
            "[/home/dana/shop/Shop.csproj]")
    err = parse_error(text)
    assert err is not None
    assert (err.exc_type, err.code) == ("dotnet", "NETSDK1045")
    assert err.message.endswith("supports .NET 8.0.")  # the project in brackets is not part of it
    cs = parse_error("Program.cs(3,7): error CS0246: The type or namespace name 'Newtonsoft' could not be found")
    assert cs is not None and cs.code == "CS0246" and cs.location is not None and cs.location.line == 3


def test_ide_error_list_layout() -> None:
    err = parse_error("Error\tNETSDK1045\tThe current .NET SDK does not support targeting .NET 8.0.\tApi\t"
                      "C:\\Program Files\\dotnet\\sdk\\7.0.100\\Sdks\\Microsoft.NET.Sdk\\targets\\x.targets\t141")
    assert err is not None and err.code == "NETSDK1045"
    assert err.message == "The current .NET SDK does not support targeting .NET 8.0."  # later columns dropped



def test_an_error_list_line_column_of_non_ascii_digits_is_no_line() -> None:
    """A superscript or other digit int() cannot read (``1\u00b2``) in the Line column of a
    pasted row: the row still parses, without a location, instead of raising."""
    err = parse_error("Error\tCS0246\tThe type or namespace name 'Foo' could not be found\tApi\t"
                      "Api/Program.cs\t1\u00b2")
    assert err is not None and err.code == "CS0246"


RUBY = """\
/home/dana/.rbenv/versions/3.1.2/lib/ruby/gems/3.1.0/gems/mail-2.7.1/lib/mail.rb:9:in `require': cannot load such file -- net/smtp (LoadError)
\tfrom /home/dana/.rbenv/versions/3.1.2/lib/ruby/gems/3.1.0/gems/mail-2.7.1/lib/mail.rb:9:in `<module:Mail>'
\tfrom {root}/app/mailers/order_mailer.rb:3:in `<top (required)>'
\tfrom {root}/config/application.rb:12:in `block in <class:Application>'
"""  # noqa: E501


def test_ruby_backtrace(tmp_path: Path) -> None:
    err = parse_error(RUBY.format(root=tmp_path), tmp_path)
    assert err is not None
    assert (err.exc_type, err.message, err.language) == ("LoadError", "cannot load such file -- net/smtp", "ruby")
    assert err.frames[-1].kind == "library" and err.frames[-1].path == "gems/mail-2.7.1/lib/mail.rb"
    assert err.frames[-1].module == "mail"
    app = err.innermost_app_frame()
    assert app is not None and (app.path, app.function) == ("app/mailers/order_mailer.rb", "<top (required)>")


def test_ruby_34_quotes_and_irb() -> None:
    err = parse_error("app.rb:4:in 'Cart#total': undefined method 'sum' for nil (NoMethodError)\n"
                      "\tfrom app.rb:9:in '<main>'\n")
    assert err is not None
    assert (err.exc_type, err.message) == ("NoMethodError", "undefined method 'sum' for nil")
    assert [f.function for f in err.frames] == ["<main>", "Cart#total"]


def test_rake_style_type_line_and_remote_prefix() -> None:
    err = parse_error("remote:  !     LoadError: cannot load such file -- net/smtp")
    assert err is not None
    assert (err.exc_type, err.message, err.language) == ("LoadError", "cannot load such file -- net/smtp", "ruby")


def test_bundler_error() -> None:
    err = parse_error("Could not find gem 'pg (~> 1.5)' in locally installed gems.\n")
    assert err is not None
    assert err.language == "ruby" and err.message.startswith("Could not find gem 'pg (~> 1.5)'")


def test_ruby_stdlib_frames_are_runtime() -> None:
    err = parse_error("/usr/lib/ruby/3.0.0/rubygems/core_ext/kernel_require.rb:85:in `require': cannot load "
                      "such file -- redis (LoadError)\n\tfrom bin/worker:3:in `<main>'\n")
    assert err is not None
    assert err.frames[-1].kind == "stdlib" and err.frames[-1].path == "<ruby>/rubygems/core_ext/kernel_require.rb"
