// The Auth module: credentials and the access policy.
