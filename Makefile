# ecs-doctor: `make test` runs every test against a local AWS (moto); `make demo` shows a broken
# service diagnosed end to end. Both create the Python tooling in .venv first.

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: venv test demo bench clean-venv

venv: $(STAMP)

# Re-created when requirements-dev.txt changes; idempotent otherwise.
$(STAMP): requirements-dev.txt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(STAMP)

test: venv
	cargo test --all-targets --no-fail-fast

demo: venv
	scripts/demo.sh

# Not part of `make test`: the engine's criterion benchmark, then the release bootstrap and the
# boto3 peer under a local Lambda Runtime API against moto (BENCHMARKS.md; a few minutes).
# The peer's boto3 and awslambdaric live in .venv/bench, away from moto's pins.
BENCH_VENV := $(VENV)/bench

$(BENCH_VENV)/.installed: requirements-bench.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-bench.txt
	touch $@

bench: venv $(BENCH_VENV)/.installed
	scripts/bench.sh

clean-venv:
	rm -rf $(VENV)

# ---- Building, packaging, checking and deploying the Lambda -------------------------------------
# The venv goes first on PATH: `cargo lambda` is the venv's cargo-lambda, and it finds zig through
# `python -m ziglang` (the ziglang package), so no system zig is needed.
LAMBDA_ENV := PATH="$(CURDIR)/$(VENV)/bin:$$PATH"
LAMBDA_BIN := ecs-doctor-lambda
LAMBDA_TARGET := aarch64-unknown-linux-gnu
ZIP := target/lambda/$(LAMBDA_BIN)/bootstrap.zip
TEMPLATES := template.yaml templates/member.yaml templates/integrations.yaml
# The SAM CLI and checkov pin boto3 versions that neither moto's venv nor each other accept:
# each gets its own venv inside .venv (make clean-venv removes them too).
SAM := $(VENV)/sam/bin/sam
CHECKOV := $(VENV)/checkov/bin/checkov
# sam and the linters never call AWS; sam still wants a region and credentials to start.
OFFLINE_AWS := AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=testing \
	AWS_SECRET_ACCESS_KEY=testing AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

.PHONY: rust-target build package lint deploy

$(VENV)/sam/.installed: requirements-sam.txt
	test -x $(VENV)/sam/bin/python || $(PYTHON) -m venv $(VENV)/sam
	$(VENV)/sam/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

$(VENV)/checkov/.installed: requirements-checkov.txt
	test -x $(VENV)/checkov/bin/python || $(PYTHON) -m venv $(VENV)/checkov
	$(VENV)/checkov/bin/pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

rust-target:
	rustup target list --installed 2>/dev/null | grep -qx $(LAMBDA_TARGET) \
		|| rustup target add $(LAMBDA_TARGET)

# The function for Graviton (arm64), release profile (Cargo.toml: size-tuned, LTO, stripped).
build: venv rust-target
	$(LAMBDA_ENV) cargo lambda build --release --arm64 --bin $(LAMBDA_BIN)

# The deployment zip (bootstrap at its root), and its size.
package: venv rust-target
	$(LAMBDA_ENV) cargo lambda build --release --arm64 --bin $(LAMBDA_BIN) --output-format zip
	@ls -l $(ZIP) | awk '{ printf "%s: %d bytes (%.2f MiB)\n", $$9, $$5, $$5 / 1048576 }'

# The checks a deployment pipeline runs on the templates, offline (checkov's --skip-download:
# it would fetch guideline names from its vendor otherwise).
lint: venv $(VENV)/sam/.installed $(VENV)/checkov/.installed
	$(OFFLINE_AWS) $(VENV)/bin/cfn-lint $(TEMPLATES)
	for template in $(TEMPLATES); do \
		$(OFFLINE_AWS) $(SAM) validate --lint --template $$template || exit 1; done
	$(CHECKOV) --quiet --compact --skip-download --framework cloudformation \
		$(addprefix -f ,$(TEMPLATES))

# Needs AWS credentials and an account: sam build runs cargo lambda (rust-cargolambda), then the
# guided deploy asks for the parameters and keeps them in samconfig.toml.
deploy: venv rust-target $(VENV)/sam/.installed
	$(LAMBDA_ENV) SAM_CLI_TELEMETRY=0 $(SAM) build --beta-features
	$(SAM) deploy --guided --capabilities CAPABILITY_IAM
