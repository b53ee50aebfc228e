"""Error shapes of other ecosystems: JavaScript/TypeScript tools, Go, Rust, Java/Kotlin,
C#/.NET and Ruby (one parser module each), where their toolchains and dependency caches
keep files (:mod:`.paths`), and the search over an output (:mod:`.detect`)."""
