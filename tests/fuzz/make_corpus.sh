#!/bin/sh
# Rebuild the seed corpora and the include directory from the repository's own files.
# Run from anywhere: tests/fuzz/make_corpus.sh. Hand-made edge files (edge-*.yaml)
# are kept; every other seed is regenerated. Includes in examples are either pointed at
# tests/fuzz/include/ (where the fuzz targets resolve them) or inlined, so every seed
# loads the same way on any machine.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cs=$here/corpus_scenario
cm=$here/corpus_model
inc=$here/include
mkdir -p "$cs" "$cm" "$inc/initiatives"
find "$cs" "$cm" -name '*.yaml' ! -name 'edge-*' -delete

# The include directory: the models, the initiative templates, the test fragment.
for m in b2b-saas retail-banking telecom; do
    cp "$repo/models/$m.yaml" "$inc/$m.yaml"
    cp "$repo/models/initiatives/$m.yaml" "$inc/initiatives/$m.yaml"
done
cp "$repo/tests/data/valid/include/model-fragment.yaml" "$inc/model-fragment.yaml"

for m in b2b-saas retail-banking telecom; do
    ex=$repo/examples/$m.yaml
    # As written, the include resolved in tests/fuzz/include.
    sed "s|\.\./models/$m\.yaml|$m.yaml|" "$ex" > "$cs/example-$m.yaml"
    # Model and templates both included.
    sed "s|^include: .*|include: [$m.yaml, initiatives/$m.yaml]|" "$ex" |
        sed '/^initiatives:/,$d' > "$cs/example-$m-templates.yaml"
    # Self-contained: the model's segments and touchpoints inlined.
    sed "/^include: /{
r $repo/models/$m.yaml
d
}" "$ex" > "$cs/example-$m-inlined.yaml"
    cp "$repo/models/$m.yaml" "$cs/model-$m.yaml"
    cp "$repo/models/initiatives/$m.yaml" "$cs/model-initiatives-$m.yaml"
done
cp "$repo/models/starter.yaml" "$cs/model-starter.yaml"
sed 's|include/model-fragment\.yaml|model-fragment.yaml|' "$repo/tests/data/valid/include.yaml" \
    > "$cs/valid-include.yaml"
for f in distributions numbers touchpoints; do
    cp "$repo/tests/data/valid/$f.yaml" "$cs/valid-$f.yaml"
done
for f in "$repo"/tests/data/shared/reference/*.yaml; do
    cp "$f" "$cs/reference-$(basename "$f")"
done
for f in "$repo"/tests/data/crosscheck/*.yaml; do
    cp "$f" "$cs/crosscheck-$(basename "$f")"
done
# A handful of invalid files, one per family of mistake.
for f in corr-not-positive-definite dist-discrete-probs-sum multi-errors num-too-large \
         seg-survival-increasing top-horizon-51 yaml-duplicate-key yaml-tab \
         ini-start-after-horizon inc-self; do
    cp "$repo/tests/data/invalid/$f.yaml" "$cs/invalid-$f.yaml"
done

# The model target only goes past the loader with valid scenarios: seed it with those.
for f in "$cs"/example-* "$cs"/model-starter.yaml "$cs"/valid-* "$cs"/reference-* \
         "$cs"/crosscheck-* "$cs"/edge-*; do
    [ -e "$f" ] || continue
    case $(basename "$f") in
    edge-bad-*) ;;
    *) cp "$f" "$cm/" ;;
    esac
done
echo "corpus_scenario: $(ls "$cs" | wc -l) files, corpus_model: $(ls "$cm" | wc -l) files"
