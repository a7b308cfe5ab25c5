"""The peer in `incident-atlas bench train`: the same fine-tuning step in PyTorch on the same
texts, model folder, thread count, batch size, token cap and optimiser settings, timed the
same way (model loaded first, then every step). Prints one JSON line.

    python st_train.py METHOD MODEL_DIR TEXTS_JSON THREADS BATCH_SIZE MAX_TOKENS SEED

METHOD simcse: SimCSE as the app trains it (sentence-transformers' pipeline run twice with
dropout, cosine similarities times 20, cross-entropy against the diagonal).
METHOD mlm: masked-language-model training with transformers' BertForMaskedLM (a new
head, as the app adds one) and its 15% / 80-10-10 masking collator."""
import json, sys, time

import torch


def batches(texts, size):
    return [texts[i:i + size] for i in range(0, len(texts), size)]


def main() -> None:
    method, model_dir, texts_path = sys.argv[1], sys.argv[2], sys.argv[3]
    threads, batch, max_tokens = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    torch.set_num_threads(threads)
    # The app's default seed, passed in so the project writes it in one place.
    torch.manual_seed(int(sys.argv[7]))
    texts = json.load(open(texts_path, encoding="utf-8"))
    if method == "simcse":
        from sentence_transformers import SentenceTransformer
        model = SentenceTransformer(model_dir, device="cpu")
        model.max_seq_length = max_tokens
        model.train()

        def loss_of(chunk):
            features = model.tokenize(chunk)
            a = model(dict(features))["sentence_embedding"]
            b = model(dict(features))["sentence_embedding"]
            a = torch.nn.functional.normalize(a, dim=-1)
            b = torch.nn.functional.normalize(b, dim=-1)
            return torch.nn.functional.cross_entropy(a @ b.T * 20.0, torch.arange(len(chunk)))
    else:
        from transformers import AutoTokenizer, BertForMaskedLM, DataCollatorForLanguageModeling
        tokenizer = AutoTokenizer.from_pretrained(model_dir)
        model = BertForMaskedLM.from_pretrained(model_dir)
        model.train()
        collator = DataCollatorForLanguageModeling(tokenizer, mlm_probability=0.15)

        def loss_of(chunk):
            encoded = tokenizer(chunk, truncation=True, max_length=max_tokens)
            features = collator([{"input_ids": ids} for ids in encoded["input_ids"]])
            return model(**features).loss
    optimiser = torch.optim.AdamW(model.parameters(), lr=3e-5, weight_decay=0.01)
    started = time.perf_counter()
    losses = []
    for chunk in batches(texts, batch):
        if method == "simcse" and len(chunk) < 2:
            continue
        loss = loss_of(chunk)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        optimiser.zero_grad()
        losses.append(float(loss))
    seconds = time.perf_counter() - started
    print(json.dumps({
        "method": method, "examples": len(texts), "steps": len(losses), "seconds": seconds,
        "examples_per_second": len(texts) / seconds, "final_loss": losses[-1] if losses else None,
        "threads": torch.get_num_threads(), "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
