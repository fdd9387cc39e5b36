public import LagCore

/// A problem with a credential file or the web config: the flag (for example
/// `--auth.jwt.public-key-file` or `--web.config.file`) and what is wrong. The same type as
/// every other bad flag value, so the exporter reports both the same way; Auth's messages, by
/// construction, never quote file contents: only paths, key names, line numbers and lengths.
public typealias AuthConfigError = FlagError
