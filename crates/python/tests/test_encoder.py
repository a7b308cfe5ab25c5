"""The wheel's Encoder against the CLI: every representation gives the vectors the app
stores for the same folder and text; bad folders and bad input give Python exceptions."""

import shutil
import threading
import time

import numpy as np
import pytest

import incident_atlas
from incident_atlas import AtlasError, Encoder, incident_text

from atlas_cli import default_model, stored_vectors


def assert_same_vectors(encoder, stored, texts):
    got = encoder.encode(texts)
    want = np.stack([v for _, v in stored])
    assert got.dtype == np.float32 and got.shape == want.shape
    cosines = np.sum(got * want, axis=1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(want, axis=1))
    assert cosines.min() >= 0.99999, f"worst cosine {cosines.min()}"
    assert np.abs(got - want).max() < 1e-5


@pytest.mark.parametrize(
    "model, folder",
    [
        ("all-MiniLM-L6-v2", lambda p: default_model()),
        ("tfidf-lsa", lambda p: p / "models/tfidf-lsa"),
        ("wv", lambda p: p / "models/wv"),
    ],
)
def test_each_representation_matches_the_cli(project, model, folder):
    stored = list(stored_vectors(project, model).values())
    assert len(stored) == 300
    # The project's vectors read reports without its boilerplate: so does the encoder given
    # the same model file.
    encoder = Encoder(str(folder(project)), threads=2, boilerplate=boilerplate_of(project))
    assert encoder.dimension == stored[0][1].shape[0]
    assert len(encoder.weights_sha256) == 64 and len(encoder.boilerplate_sha256) == 64
    assert_same_vectors(encoder, stored, [fields[0] for fields, _ in stored])


def boilerplate_of(project, fields="description"):
    return str(project / "text" / f"boilerplate-{fields}.json")


def test_boilerplate_files_are_checked(project, tmp_path):
    assert Encoder(str(default_model())).boilerplate_sha256 is None
    for content in [b"", b"{", b'{"format": 99}']:
        bad = tmp_path / "b.json"
        bad.write_bytes(content)
        with pytest.raises(AtlasError, match="b.json"):
            Encoder(str(default_model()), boilerplate=str(bad))
    with pytest.raises(AtlasError, match="missing.json"):
        Encoder(str(default_model()), boilerplate=str(tmp_path / "missing.json"))


def test_all_fields_text_matches_the_cli(project):
    stored = list(stored_vectors(project, "all-MiniLM-L6-v2:all").values())
    texts = [incident_text(d, c, a) for (d, c, a), _ in stored]
    assert any("\n\n" in t for t in texts), "the demo reports have causes or actions"
    assert_same_vectors(Encoder(str(default_model()), boilerplate=boilerplate_of(project, "all")), stored, texts)


def test_incident_text_cleans_and_joins_as_the_store_does():
    assert incident_text("a", None, None) == "a"
    assert incident_text("a", "b", None) == "a\n\nb"
    assert incident_text("a", None, "c") == "a\n\nc"
    # Empty or blank fields are absent in the store; text is trimmed, line endings as \n.
    assert incident_text("a", "", "c") == "a\n\nc"
    assert incident_text("  a\r\nb ", " \t", "c\r") == "a\nb\n\nc"
    assert incident_text("a", "b", "c", fields="description") == "a"
    assert incident_text("  ", "b") is None
    assert incident_text(None, "b") is None
    with pytest.raises(AtlasError, match="unknown fields"):
        incident_text("a", fields="everything")


def test_metadata_and_settings():
    encoder = Encoder(str(default_model()), threads=1, batch_size=4, precision="f32")
    assert encoder.kind == "transformer" and encoder.dimension == 384 and encoder.threads == 1
    assert '"precision":"f32"' in encoder.provenance
    assert "Encoder(" in repr(encoder)
    assert incident_atlas.__version__
    with pytest.raises(AtlasError, match="threads"):
        Encoder(str(default_model()), threads=0)
    with pytest.raises(AtlasError, match="unknown precision"):
        Encoder(str(default_model()), precision="fp8")
    with pytest.raises(AtlasError, match="batch_size"):
        Encoder(str(default_model()), batch_size=0)


def test_bad_model_folders_raise_clear_errors(tmp_path):
    with pytest.raises(AtlasError, match="not a model folder.*no such folder"):
        Encoder(str(tmp_path / "missing"))
    with pytest.raises(AtlasError, match="config.json"):
        Encoder(str(tmp_path))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(AtlasError, match="not JSON"):
        Encoder(str(tmp_path))
    # A transformer folder whose weights were cut short in copying.
    broken = tmp_path / "broken"
    shutil.copytree(default_model(), broken)
    weights = (broken / "model.safetensors").read_bytes()
    (broken / "model.safetensors").write_bytes(weights[: len(weights) // 3])
    with pytest.raises(AtlasError, match="model.safetensors"):
        Encoder(str(broken))
    # A tokenizer that is not one.
    shutil.copy(default_model() / "model.safetensors", broken / "model.safetensors")
    (broken / "tokenizer.json").write_text('{"model": 42}')
    with pytest.raises(AtlasError, match="tokenizer.json"):
        Encoder(str(broken))
    with pytest.raises(TypeError):
        Encoder(None)


def test_empty_huge_and_hostile_input():
    encoder = Encoder(str(default_model()), threads=2)
    empty = encoder.encode([])
    assert empty.shape == (0, 384) and empty.dtype == np.float32
    vectors = encoder.encode(["", " ", "\x00\x01", "🙂" * 50, "word " * 200_000])
    assert vectors.shape == (5, 384) and np.isfinite(vectors).all()
    # A long text is cut at the model's length, so it encodes as its first tokens do.
    long = encoder.encode(["word " * 200_000, "word " * 300])
    assert np.abs(long[0] - long[1]).max() < 1e-6
    # Text decoded from bytes that were not UTF-8, with surrogateescape: not valid Unicode.
    broken = b"Patient given 5mg \xb5g".decode("utf-8", "surrogateescape")
    with pytest.raises(AtlasError, match="text 1 is not valid Unicode"):
        encoder.encode(["fine", broken])
    with pytest.raises(TypeError, match="text 1 is a int"):
        encoder.encode(["fine", 7])
    with pytest.raises(TypeError, match="not one str"):
        encoder.encode("a single string")
    with pytest.raises(TypeError):
        encoder.encode(None)
    # Tuples and generators work as lists do.
    assert encoder.encode(("a", "b")).shape == (2, 384)
    assert encoder.encode(t for t in ["a"]).shape == (1, 384)


def test_the_gil_is_released_while_encoding():
    encoder = Encoder(str(default_model()), threads=1)
    texts = ["The patient fell while walking to the bathroom at night."] * 400
    done = threading.Event()
    worker = threading.Thread(target=lambda: (encoder.encode(texts), done.set()))
    ticks = 0
    worker.start()
    while not done.is_set() and worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    # Holding the GIL for the whole encode would leave this loop at one or two turns.
    assert ticks > 20, f"the main thread ran {ticks} times while encoding"
