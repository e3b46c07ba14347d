# The process backend (not built yet).
