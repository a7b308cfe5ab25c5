//! Words that fill the `{slot}`s of the report templates.

/// The fillers for one slot name; `None` for a name no template may use.
pub fn fillers(slot: &str) -> Option<&'static [&'static str]> {
    Some(match slot {
        "pt" => &["patient", "patient", "pt", "the patient", "pt", "patient"],
        "Pt" => &["Patient", "Patient", "Pt", "The patient", "Pt"],
        "nurse" => &["nurse", "staff nurse", "RN", "SN", "the nurse in charge", "agency nurse", "student nurse", "HCA"],
        "Nurse" => &["Staff nurse", "RN", "Nurse in charge", "Night nurse", "HCA", "Ward sister", "Bank nurse"],
        "doctor" => &["doctor", "FY1", "SHO", "registrar", "on-call doctor", "Dr", "the medical team", "consultant"],
        "Doctor" => &["FY1", "SHO", "Registrar", "On-call doctor", "Medical team", "Consultant", "Night reg"],
        "ward" => &[
            "Ward 7", "AMU", "Ward 12", "Ward 3B", "the surgical assessment unit", "Ward 21", "the stroke unit",
            "Ward 9 (elderly care)", "the orthopaedic ward", "CDU", "Ward 14", "the respiratory ward", "Ward 4A",
        ],
        "time" => &[
            "at approx 02:30", "around 04:00", "during the night shift", "at handover", "at 14:15", "on the late shift",
            "at approximately 22:40", "early this morning", "at 06:10", "during the early shift", "over the weekend",
            "at about 19:30", "on the night of the incident",
        ],
        "weekday" => &["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
        "age" => &["84", "91", "67", "78", "55", "73", "88", "62", "95", "80", "70", "49", "82"],
        "person" => &["gentleman", "lady", "man", "woman", "male pt", "female pt"],
        "family" => &["daughter", "son", "wife", "husband", "NOK", "family", "partner", "carer"],
        "drug" => &[
            "amoxicillin", "gentamicin", "enoxaparin", "co-amoxiclav", "furosemide", "digoxin", "paracetamol",
            "metformin", "levetiracetam", "prednisolone", "tazocin", "vancomycin", "ramipril", "bisoprolol",
            "phenytoin", "clarithromycin", "methotrexate", "potassium chloride", "amlodipine", "sertraline",
        ],
        "abx" => &["IV tazocin", "co-amoxiclav", "gentamicin", "IV vancomycin", "meropenem", "IV ceftriaxone", "clarithromycin"],
        "opioid" => &["morphine sulfate", "oxycodone", "Oramorph", "fentanyl patch", "MST", "diamorphine", "buprenorphine"],
        "anticoag" => &["enoxaparin", "apixaban", "warfarin", "dalteparin", "rivaroxaban", "heparin infusion"],
        "parkinsons" => &["co-careldopa", "Madopar", "Sinemet", "ropinirole", "rotigotine patch"],
        "insulin" => &["Novorapid", "Lantus", "Humulin I", "insulin glargine", "Levemir", "Humalog"],
        "dose" => &["10 units", "5mg", "2.5mg", "40mg", "500mg", "1g", "20 units", "100mg", "10mg", "4 units"],
        "wrongdose" => &["100 units", "50mg", "25mg", "400mg", "5g", "10g", "200 units", "1000mg", "100mg", "40 units"],
        "allergen" => &["penicillin", "co-amoxiclav", "codeine", "trimethoprim", "NSAIDs", "morphine", "latex"],
        "site" => &["sacrum", "L heel", "R heel", "both heels", "coccyx", "L buttock", "R hip", "ear (from O2 tubing)", "sacral area"],
        "pu_grade" => &["category 2", "category 3", "category 4", "unstageable", "cat 2", "grade 3", "deep tissue injury"],
        "device" => &[
            "infusion pump", "syringe driver", "volumetric pump", "blood glucose meter", "hoist", "profiling bed",
            "defibrillator", "suction unit", "pulse oximeter", "patient monitor", "air mattress", "BP machine",
        ],
        "scan" => &["CT head", "chest X-ray", "MRI spine", "CT abdomen", "ultrasound", "X-ray of wrist", "CT pulmonary angiogram"],
        "finding" => &[
            "a fracture", "a lung nodule", "a subdural haematoma", "a pneumothorax", "a suspicious mass", "a PE",
            "bowel obstruction", "a scaphoid fracture", "cord compression",
        ],
        "condition" => &["sepsis", "an AKI", "a stroke", "a GI bleed", "hypoglycaemia", "a PE", "DKA", "pneumonia", "an MI"],
        "cancer" => &["bowel cancer", "lung cancer", "breast cancer", "prostate cancer", "a melanoma", "ovarian cancer"],
        "sample" => &["blood samples", "FBC and U&E bottles", "a group and save sample", "a urine sample", "blood cultures", "a histology specimen"],
        "organism" => &["C. diff", "MRSA", "norovirus", "COVID-19", "CPE", "influenza A", "VRE"],
        "num" => &["2", "3", "4", "5", "6", "two", "three", "four"],
        "hours" => &["4 hours", "6 hours", "over 8 hours", "12 hours", "3 hours", "most of the shift", "over 24 hours"],
        "minutes" => &["45 minutes", "90 minutes", "2 hours", "3 hours", "over 4 hours", "70 minutes"],
        "it_system" => &["the EPR", "PACS", "the pathology results system", "the bed management system", "ICE", "the e-observations system"],
        "staffing" => &["2 RNs for 28 patients", "1 RN and 2 HCAs for the bay", "no registered nurse for 2 hours", "3 staff short", "one RN for 16 pts"],
        "instrument" => &["swab", "guidewire", "drain tip", "needle", "instrument"],
        "procedure" => &["laparoscopic cholecystectomy", "hip replacement", "knee arthroscopy", "central line insertion", "caesarean section", "hernia repair"],
        "pump" => &["infusion pump", "volumetric pump", "syringe driver"],
        _ => return None,
    })
}
