# Documentation installed with the package.
dist_doc_DATA += README.md docs/api.md docs/config.md docs/threat-model.md docs/image.md \
	docs/backends.md docs/debugging.md docs/hardening.md
dist_man_MANS = docs/man/flexos-link.1 docs/man/flexos-run.1 docs/man/flexos.yaml.5 \
	docs/man/flexos-explore.1 docs/man/flexos-cc.1
