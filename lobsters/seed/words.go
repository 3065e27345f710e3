package seed

// The word lists the demo text is made of. They hold plain printable ASCII
// without backslashes, which is what quoting in write.go relies on.

var (
	// userAdjectives and userNouns make usernames like "quietotter".
	userAdjectives = []string{
		"quiet", "brave", "lazy", "happy", "dark", "lucky", "swift", "tiny", "grumpy", "clever",
		"silent", "rusty", "fuzzy", "wild", "calm", "bold", "shy", "sleepy", "cosmic", "crimson",
		"amber", "binary", "lone", "frosty", "stormy", "sunny", "odd", "neat", "mellow", "noisy",
		"sharp", "hidden", "sneaky", "gentle", "fierce", "jolly", "dusty", "misty", "nimble", "proud",
		"polite", "curious", "steady", "static", "dynamic", "lucid", "vivid", "hollow", "golden", "silver",
		"velvet", "electric", "atomic", "rapid", "humble", "patient", "restless", "weird", "cheerful", "careful",
	}
	userNouns = []string{
		"fox", "otter", "badger", "lobster", "crab", "owl", "heron", "falcon", "wolf", "bear",
		"panda", "koala", "lynx", "raven", "squid", "octopus", "turtle", "moose", "yak", "gopher",
		"camel", "llama", "penguin", "walrus", "beaver", "ferret", "hedgehog", "marmot", "newt", "gecko",
		"shark", "whale", "dolphin", "pixel", "byte", "kernel", "socket", "packet", "lambda", "monad",
		"daemon", "widget", "cursor", "vector", "module", "stack", "heap", "thread", "signal", "token",
		"cipher", "quasar", "comet", "nebula", "meteor", "rocket", "orbit", "circuit", "relay", "router",
		"cedar", "maple", "willow", "river", "canyon", "harbor", "island", "glacier", "ember", "spark",
		"flint", "granite", "copper", "cobalt", "pebble", "thistle", "fern", "moss", "tide", "dune",
	}
	// firstNames make usernames like "priya42" or "sven_k" style "svenk".
	firstNames = []string{
		"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
		"mallory", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "zoe", "ana",
		"ben", "chen", "dmitri", "elena", "farid", "gita", "hiro", "ines", "jonas", "kofi",
		"lena", "mateo", "nadia", "omar", "priya", "quinn", "rosa", "sven", "tariq", "uma",
		"vera", "wen", "ximena", "yusuf", "zara", "akira", "bianca", "dario", "emeka", "freya",
		"goran", "hana", "ilya", "jana", "kai", "liam", "mira", "noor", "oscar", "pablo",
	}

	// languages, topics and things make story titles and comments.
	languages = []string{
		"Rust", "Go", "Haskell", "OCaml", "Zig", "Erlang", "Elixir", "Python", "Ruby", "C",
		"C++", "Common Lisp", "Scheme", "Racket", "Nim", "Julia", "Kotlin", "Swift", "TypeScript", "Prolog",
		"Forth", "Ada", "Fortran", "Clojure", "F#", "Lua", "Perl", "SQL", "Idris", "Smalltalk",
	}
	topics = []string{
		"garbage collection", "type inference", "memory safety", "distributed consensus", "property-based testing",
		"compiler optimizations", "B-trees", "query planning", "TCP congestion control", "cache invalidation",
		"static linking", "build systems", "formal verification", "code review", "terminal emulators",
		"text editing", "Unicode normalization", "floating point", "lock-free queues", "microservices",
		"service meshes", "load balancing", "database indexing", "parser combinators", "regular expressions",
		"email deliverability", "package management", "reproducible builds", "the borrow checker", "continuations",
		"effect systems", "CRDTs", "log-structured storage", "DNS", "TLS certificates",
		"kernel bypass networking", "WebAssembly", "SIMD", "dependency injection", "error handling",
		"structured concurrency", "green threads", "observability", "feature flags", "retro computing",
		"the Unix philosophy", "hash tables", "Bloom filters", "sorting algorithms", "fuzzing",
		"sandboxing", "capability security", "password hashing", "time zones", "leap seconds",
	}
	things = []string{
		"database", "text editor", "shell", "static site generator", "load balancer",
		"key-value store", "web framework", "window manager", "build tool", "debugger",
		"profiler", "package manager", "container runtime", "compiler", "interpreter",
		"query engine", "HTTP server", "chat client", "feed reader", "spreadsheet",
		"terminal", "file system", "scheduler", "message queue", "search engine",
	}
	titleAdjectives = []string{
		"tiny", "fast", "simple", "minimal", "practical", "gentle", "surprising", "forgotten", "modern", "boring",
		"pragmatic", "elegant", "hidden", "incomplete", "opinionated", "unreasonable", "safe", "portable", "declarative", "lazy",
	}
	pastVerbs = []string{
		"rewrote", "scaled", "debugged", "replaced", "profiled", "migrated", "shipped", "tested", "simplified", "sped up",
	}

	// roles, places and opinions make "about" texts and comments.
	roles = []string{
		"Software engineer", "SRE", "Student", "Hobbyist programmer", "Researcher",
		"Sysadmin", "Compiler engineer", "Retired programmer", "Security engineer", "Data engineer",
	}
	places = []string{
		"a small startup", "a university", "a bank", "a game studio", "a non-profit",
		"a hosting company", "a hospital", "home", "a consultancy", "a public library",
	}
	opinions = []string{
		"I still love it", "it keeps surprising me", "the tooling has improved a lot",
		"I wish it had better error messages", "I'm not sure I'd pick it again",
		"it has never let me down", "the community is what keeps me there",
	}

	// domains are reserved example domains (RFC 2606): story links lead nowhere real.
	domains = []string{
		"example.com", "example.org", "example.net", "blog.example.com", "www.example.org",
		"docs.example.net", "news.example.com", "journal.example.org", "lists.example.net", "code.example.com",
	}
)
