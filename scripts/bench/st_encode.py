"""The peer in `incident-atlas bench encode`: sentence-transformers encoding the same texts
on the same model folder with the same thread count and batch size. Prints one JSON line.

    python st_encode.py MODEL_DIR TEXTS_JSON THREADS BATCH_SIZE"""
import json, sys, time

import torch
from sentence_transformers import SentenceTransformer


def main() -> None:
    model_dir, texts_path, threads, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    torch.set_num_threads(threads)
    texts = json.load(open(texts_path))
    model = SentenceTransformer(model_dir, device="cpu")
    model.encode(texts[:64], batch_size=batch)  # warm-up, as the Rust side loads before timing
    started = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch, convert_to_numpy=True)
    seconds = time.perf_counter() - started
    print(json.dumps({
        "docs": len(texts), "seconds": seconds, "docs_per_second": len(texts) / seconds,
        "threads": torch.get_num_threads(), "torch": torch.__version__, "dimension": int(vectors.shape[1]),
    }))


if __name__ == "__main__":
    main()
