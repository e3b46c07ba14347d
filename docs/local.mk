# Documentation installed with the package.
dist_doc_DATA += README.md docs/api.md docs/config.md
