"""The peer in `incident-atlas bench analyse`: BERTopic's default pipeline (UMAP 5-d with
cosine, HDBSCAN with EOM selection, c-TF-IDF topic words) fitted on the same texts and the
same vectors as Incident Atlas, timed per stage, plus the 2-d UMAP that BERTopic's
`visualize_documents` computes for its map. Optionally also times sentence-transformers
encoding a sample of the texts. Prints one JSON line.

    python bertopic_pipeline.py TEXTS_JSON VECTORS_F32 DIM THREADS MIN_CLUSTER_SIZE [MODEL_DIR ENCODE_SAMPLE]
"""
import json, os, resource, sys, time


def main() -> None:
    texts_path, vectors_path, dim, threads, min_cluster_size = sys.argv[1:6]
    dim, threads, min_cluster_size = int(dim), int(threads), int(min_cluster_size)
    os.environ.setdefault("NUMBA_NUM_THREADS", str(threads))
    import numpy as np
    texts = json.load(open(texts_path))
    vectors = np.fromfile(vectors_path, dtype="<f4").reshape(-1, dim)
    out = {"docs": len(texts), "threads": threads, "min_cluster_size": min_cluster_size, "stages": {}}

    started = time.perf_counter()
    from bertopic import BERTopic
    from umap import UMAP
    from hdbscan import HDBSCAN
    import bertopic, umap, hdbscan
    out["versions"] = {"bertopic": bertopic.__version__, "umap-learn": umap.__version__,
                       "hdbscan": getattr(hdbscan, "__version__", "?"), "numpy": np.__version__}
    out["stages"]["import"] = time.perf_counter() - started

    stages = out["stages"]

    class TimedUMAP(UMAP):
        def fit(self, X, y=None, *args, **kw):
            t = time.perf_counter(); r = super().fit(X, y, *args, **kw); stages["umap_5d"] = time.perf_counter() - t; return r

    class TimedHDBSCAN(HDBSCAN):
        def fit(self, X, y=None, *args, **kw):
            t = time.perf_counter(); r = super().fit(X, y, *args, **kw); stages["hdbscan"] = time.perf_counter() - t; return r

    # BERTopic's defaults, with min_cluster_size set as Incident Atlas set it.
    umap_model = TimedUMAP(n_neighbors=15, n_components=5, min_dist=0.0, metric="cosine", low_memory=False)
    hdbscan_model = TimedHDBSCAN(min_cluster_size=min_cluster_size, metric="euclidean",
                                 cluster_selection_method="eom", prediction_data=True)
    model = BERTopic(umap_model=umap_model, hdbscan_model=hdbscan_model)
    t = time.perf_counter()
    topics, _ = model.fit_transform(texts, embeddings=vectors)
    stages["bertopic_fit"] = time.perf_counter() - t
    stages["ctfidf_and_rest"] = stages["bertopic_fit"] - stages.get("umap_5d", 0) - stages.get("hdbscan", 0)
    # visualize_documents' own reduction for the 2-d map.
    t = time.perf_counter()
    UMAP(n_neighbors=10, n_components=2, min_dist=0.0, metric="cosine").fit_transform(vectors)
    stages["umap_2d_map"] = time.perf_counter() - t
    out["pipeline_seconds"] = stages["bertopic_fit"] + stages["umap_2d_map"]
    out["clusters"] = len(set(topics)) - (1 if -1 in topics else 0)
    out["noise"] = int(sum(1 for t in topics if t == -1))
    out["labels"] = [int(t) for t in topics]
    out["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    if len(sys.argv) > 7:
        import torch
        from sentence_transformers import SentenceTransformer
        torch.set_num_threads(threads)
        model_dir, sample = sys.argv[6], int(sys.argv[7])
        st = SentenceTransformer(model_dir, device="cpu")
        step = max(1, len(texts) // sample)
        part = texts[::step][:sample]
        st.encode(part[:64], batch_size=32)
        t = time.perf_counter()
        st.encode(part, batch_size=32)
        seconds = time.perf_counter() - t
        out["encode"] = {"sample": len(part), "seconds": seconds, "docs_per_second": len(part) / seconds,
                         "torch": torch.__version__}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
