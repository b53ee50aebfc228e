"""Where each ecosystem keeps its toolchain and its downloaded dependencies.

A frame or message path inside one of these is made machine-independent: the part before
the cache (home directory, drive, GOPATH, CARGO_HOME) is dropped and the rest names the
package. Toolchain paths (GOROOT, the Rust standard library, a Ruby install, the .NET SDK)
are the runtime (kind ``stdlib``); caches of downloaded packages are dependencies (kind
``library``). The paths come in cleaned by :func:`memory_store.errors.frames.clean_path`
(forward slashes, no ``file://``).
"""

from __future__ import annotations

import re

from memory_store.errors.model import FrameKind

# (pattern, normalized form, kind, module group). The first match wins; every pattern is
# anchored on a directory name the tool itself chose, never on a user name.
_RULES: tuple[tuple[re.Pattern[str], str, FrameKind, str | None], ...] = (
    # Go module cache: $GOMODCACHE (default ~/go/pkg/mod) holds module@version directories.
    (re.compile(r"(?:^|/)pkg/mod/(?P<rest>(?P<mod>[^@]+)@(?P<ver>[^/]+)/.+)$"), "pkg/mod/{rest}", "library", "mod"),
    # Go toolchain: GOROOT/src/<std package> (its first path part has no dot, unlike a module path).
    (re.compile(r"(?:^|/)(?:go|go-?\d[\w.]*|golang|libexec|goroot)/src/(?P<rest>(?P<mod>[a-z]\w*(?:/[\w]+)*)/"
                r"[^/]+\.(?:go|s))$"), "<goroot>/{rest}", "stdlib", "mod"),
    # Rust: the standard library as built (/rustc/<commit>/library/...) or installed by rustup.
    (re.compile(r"^/rustc/[0-9a-f]+/(?:library|src/lib\w+)/(?P<rest>(?P<mod>[\w-]+)/.+)$"), "<rust>/{rest}", "stdlib",
     "mod"),
    (re.compile(r"(?:^|/)lib/rustlib/src/rust/(?:library|src)/(?P<rest>(?P<mod>[\w-]+)/.+)$"), "<rust>/{rest}",
     "stdlib", "mod"),
    # Cargo registry and git checkouts ($CARGO_HOME, default ~/.cargo).
    (re.compile(r"(?:^|/)registry/src/[^/]+/(?P<rest>(?P<mod>[\w-]+?)-\d[\w.+-]*/.+)$"), "cargo/registry/{rest}",
     "library", "mod"),
    (re.compile(r"(?:^|/)\.?cargo/git/checkouts/(?P<rest>(?P<mod>[\w-]+?)-[0-9a-f]{8,}/[^/]+/.+)$"),
     "cargo/git/{rest}", "library", "mod"),
    # Maven local repository and Gradle's caches.
    (re.compile(r"(?:^|/)\.m2/repository/(?P<rest>(?P<mod>.+?)/[^/]+/[^/]+\.(?:jar|pom|aar))$"), "m2/{rest}",
     "library", "mod"),
    (re.compile(r"(?:^|/)\.gradle/caches/modules-\d+/files-[\d.]+/(?P<mod>[^/]+/[^/]+)/(?P<ver>[^/]+)/[0-9a-f]+/"
                r"(?P<file>.+)$"), "gradle/{mod}/{ver}/{file}", "library", "mod"),
    (re.compile(r"(?:^|/)\.gradle/caches/(?:transforms-\d+|[\w.-]+)/(?:[0-9a-f]{16,}/)?(?P<rest>.+)$"),
     "gradle/{rest}", "library", None),
    # NuGet package folders (~/.nuget/packages, C:/Program Files/dotnet/sdk/NuGetFallbackFolder).
    (re.compile(r"(?:^|/)(?:\.nuget/packages|NuGetFallbackFolder)/(?P<rest>(?P<mod>[^/]+)/.+)$", re.IGNORECASE),
     "nuget/{rest}", "library", "mod"),
    # .NET SDK and runtime (the dotnet install folder: /usr/share/dotnet, C:/Program Files/dotnet, ~/.dotnet).
    (re.compile(r"(?:^|/)\.?dotnet/(?P<rest>(?:sdk|shared|packs)/.+)$", re.IGNORECASE), "<dotnet>/{rest}", "stdlib",
     None),
    # Ruby: gems (any GEM_HOME or bundle path) and the standard library of an install.
    (re.compile(r"(?:^|/)gems/(?P<rest>(?P<mod>[\w.-]+?)-\d[\w.]*/.+)$"), "gems/{rest}", "library", "mod"),
    (re.compile(r"(?:^|/)lib/ruby/(?:\d[\w.]*|site_ruby/[\d.]+|vendor_ruby/[\d.]+)/(?P<rest>(?P<mod>[\w-]+).*)$"),
     "<ruby>/{rest}", "stdlib", "mod"),
    (re.compile(r"^/Library/Ruby/Site/[\d.]+/(?P<rest>(?P<mod>[\w-]+).*)$"), "<ruby>/{rest}", "stdlib", "mod"),
    # Dart/Flutter pub cache (Android builds of Flutter plugins).
    (re.compile(r"(?:^|/)\.pub-cache/hosted/[^/]+/(?P<rest>(?P<mod>[\w]+)-\d[\w.+-]*/.+)$"), "pub-cache/{rest}",
     "library", "mod"),
)
_CHEAP = ("pkg/mod/", "/src/", "/rustc/", "rustlib", "registry/src", "cargo/git", ".m2/", ".gradle/", "nuget",
          "NuGet", "dotnet/", "gems/", "lib/ruby/", "/Library/Ruby", ".pub-cache")


def classify_dependency(path: str) -> tuple[str, FrameKind, str | None] | None:
    """(normalized path, kind, package) for a path inside a toolchain or dependency cache."""
    if not any(c in path for c in _CHEAP):
        return None
    for pattern, form, kind, group in _RULES:
        m = pattern.search(path)
        if m:
            return form.format(**m.groupdict()), kind, (m.group(group) if group else None)
    return None

