//! How clinicians write when they write fast: the event in the ward's own shorthand
//! ("unwit fall ?#NOF", "cat 2 PU sacrum", "WBIT G&S") rather than in full sentences.
//!
//! Real incident text is full of it, and a general-purpose encoder has never seen most of
//! it: "PU", "WBIT" or "FTR" are only word pieces to MiniLM. A reporter who writes in this
//! register draws the event from here instead of the type's full-sentence events; the
//! details that follow are the type's usual ones, so the report's other sentences say what
//! the shorthand means. That is the within-type variation a model adapted to the project's
//! own text should learn and the base model cannot know.

/// Shorthand events of each type, by the type's key; a type not listed has none.
pub fn events(key: &str) -> &'static [&'static str] {
    match key {
        "medication_wrong_dose" => &[
            "{wrongdose} {drug} given, px'd {dose}.",
            "10x dose err {drug}, decimal misread.",
            "Double dose {opioid} given {time}, not signed for on MAR.",
            "Wrong strength dispensed, {drug} {wrongdose} vs {dose} on px.",
            "Paeds dose calc on wrong wt, {drug} {wrongdose} given.",
            "IV {drug} ran over 10 mins not 1 hr, rate keyed wrong.",
        ],
        "medication_omitted" => &[
            "TC meds omitted {hours}, {parkinsons} not given on adm.",
            "{abx} not given for {hours} post px, ?{condition}.",
            "{anticoag} omitted {time}, blank box on MAR.",
            "Regular meds not given x2 days, OOS on ward.",
            "Missed {insulin}, pt off ward in XR.",
            "IVAB 1st dose delayed {minutes}, outside sepsis 1hr.",
        ],
        "medication_allergy" => &[
            "{allergen} given, documented ALLERGY on EPR.",
            "Allergy not on MAR, pt given {allergen}.",
            "No red band, {allergen} abx given, known allergic.",
            "Urticaria + facial swelling post {allergen}, ?anaphylaxis.",
            "NKDA on EPR in error, pt allergic to {allergen}.",
        ],
        "controlled_drug_discrepancy" => &[
            "CD bal wrong, {opioid} x{num} amps unaccounted.",
            "CD cupboard keys missing at h/o.",
            "{opioid} given, not entered in CD reg.",
            "CD check: {opioid} 10mg/ml 1 short.",
            "Amp broken unwitnessed, no 2nd sig CD book.",
        ],
        "fall_inpatient" => &[
            "Unwit fall, FOF by bed {time}.",
            "Unwit fall ?#NOF, L leg shortened + ext rotated.",
            "Wit fall from chair, hit head, on {anticoag}.",
            "Pt FOF in bathroom, no LOC, neuro obs started.",
            "Fall mobilising to toilet w/o ZF.",
            "2nd fall this adm, found kneeling by bed.",
        ],
        "pressure_ulcer" => &[
            "{pu_grade} PU {site}, not on SSKIN.",
            "Cat 2 PU sacrum noted on adm.",
            "DTI L heel, day 4 of adm.",
            "New PU {site}, repo chart gaps 6 hrs.",
            "Device related PU from O2 tubing.",
            "MASD + cat 2 PU to buttocks, TVN ref.",
        ],
        "deteriorating_patient" => &[
            "NEWS 7 not escalated, pt peri-arrest.",
            "No obs {hours}, NEWS 5.",
            "?sepsis not screened, T 38.9 HR 125.",
            "2222 call {time}, rising NEWS not acted on.",
            "CCOT called late, NEWS 9, to HDU.",
            "Obs missed 02:00 + 04:00, unresponsive 06:00.",
        ],
        "delayed_diagnosis" => &[
            "Missed # on XR in ED, re-attended d5.",
            "2WW ref not sent, ?{cancer}.",
            "K+ 6.9 not actioned.",
            "CT rec on rad report not actioned x3/52.",
            "Urgent ref lost, pt chased at 8/52.",
        ],
        "specimen_labelling" => &[
            "WBIT - G&S did not match hx group.",
            "{sample} rec'd unlabelled, rejected by lab.",
            "G&S labelled w/ another pt's details.",
            "Pre-labelled bottles, wrong pt bled.",
            "Histo pot wrong hosp no.",
        ],
        "patient_identification" => &[
            "No ID band on arrival from ED.",
            "Wrong pt sent for {scan}, same surname in bay.",
            "Wrong DOB on ID band.",
            "Another pt's notes filed in this pt's folder.",
            "Pt answered to another pt's name, PPID not done.",
        ],
        "device_failure" => &[
            "{device} failed in use, err code, to EBME.",
            "{pump} no occlusion alarm, infusion not running {hours}.",
            "Defib checks not done x5 days, battery flat.",
            "Hoist stopped mid transfer, sling frayed.",
            "{device} out of date for PAT, removed.",
            "Suction not working at bedside in emergency.",
        ],
        "discharge_problem" => &[
            "D/c w/o TTOs.",
            "D/c {time}, no POC in place.",
            "DS not sent to GP, readmitted d3.",
            "D/c w/ cannula in situ.",
            "DNs not told of d/c, missed {anticoag} inj.",
            "TTO transcription err, wrong dose {drug}.",
        ],
        "missing_patient" => &[
            "S2 pt AWOL from escorted leave.",
            "FTR from s17 leave.",
            "Informal pt left unit, police informed, high risk.",
            "Pt w/ dementia left ward, found by security.",
            "Pt left ED before assessment.",
        ],
        "self_harm" => &[
            "Ligature, removed by staff, cutter used.",
            "DSH cutting L forearm w/ plastic cutlery.",
            "Ligature attempt en-suite during 15 min obs.",
            "Ingested batteries, to ED.",
            "POD on home leave.",
            "Superficial scratches to wrists on level 3 obs.",
        ],
        "violence_aggression" => &[
            "Pt punched staff during restraint, PMVA team attended.",
            "Verbal abuse + threats to kill to RN.",
            "Relative aggressive at NS, threw chair.",
            "Pt on pt assault in lounge.",
            "Intox pt assaulted security in ED.",
            "Crew assaulted on scene.",
        ],
        "infection_control" => &[
            "{organism} +ve, not isolated {hours}.",
            "Bay closed ?{organism} outbreak, {num} symptomatic.",
            "HOHA {organism} d5.",
            "NSI to HCA, sharps bin overfilled.",
            "D+V, no stool sample x48 hrs.",
            "No PPE in SR of {organism} pt.",
        ],
        "documentation" => &[
            "Notes missing for clinic.",
            "Care plan not updated x3/52.",
            "FBC + food charts not done.",
            "DNACPR not in notes at deterioration.",
            "Entries not signed/dated.",
            "RA not done on EPR d5 of adm.",
        ],
        "staffing_shortage" => &[
            "Unsafe staffing nights: {staffing}.",
            "{staffing}, no bank/agency cover.",
            "No RN w/ IV comp on shift.",
            "Below est: {staffing}, no breaks.",
            "DN team {num} visits deferred.",
            "1:1 not possible, short staffed.",
        ],
        "it_system_outage" => &[
            "{it_system} down {hours}, no results access.",
            "{it_system} outage, downtime packs used.",
            "Login failure, e-obs not recorded.",
            "Printer down, no ID bands/labels.",
            "Network down site wide, no {it_system}.",
        ],
        "confidentiality_consent" => &[
            "Clinic letter to wrong address, IG breach.",
            "PID emailed ext recipient in error.",
            "H/o sheets left in canteen.",
            "Consent form not signed, pt in anaesthetic room.",
            "Info shared w/ NOK w/o consent.",
            "No interpreter, consent via family member.",
        ],
        "surgical_procedure" => &[
            "Retained {instrument} on post op XR.",
            "Swab count wrong end of case.",
            "Wrong site marked, caught at sign in.",
            "NGT in lung, feed started pre XR check.",
            "RTT for bleed post {procedure}.",
            "WHO time out not done.",
        ],
        "safeguarding_abuse" => &[
            "Unexplained bruising both arms, from CH.",
            "Pt disclosed NOK takes money, withholds food.",
            "Alleged rough handling by staff during PC.",
            "Child injuries not consistent w/ hx.",
            "?neglect, soiled bedding, no food in house.",
        ],
        "ambulance_handover_delay" => &[
            "H/o delay {minutes}, pt on trolley in corridor.",
            "Cat 2 wait {minutes}.",
            "Long lie {hours} after fall, crew delayed.",
            "Crew held outside ED {minutes}.",
            "Corridor care {hours} on amb trolley.",
        ],
        "maternity_fetal_monitoring" => &[
            "Path CTG not escalated {minutes}.",
            "PPH 2.1L post delivery.",
            "No fresh eyes CTG review.",
            "Cord pH 6.95, to NICU.",
            "Cat 1 LSCS DDI 55 mins.",
            "RFM not seen x2 days.",
        ],
        "nutrition_hydration" => &[
            "NBM {hours}+, theatre cancelled.",
            "L4 puree pt given sandwich, choked.",
            "No FBC x24 hrs, AKI.",
            "Meal out of reach, not assisted.",
            "NG feed not restarted {hours}.",
        ],
        "patient_property_lost" => &[
            "Dentures lost on ward move.",
            "Hearing aids missing post transfer.",
            "Glasses + phone not returned on d/c.",
            "Ring missing post theatre, not in property book.",
            "Property bag sent w/ wrong pt.",
        ],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use crate::catalogue::TYPES;
    use super::*;

    #[test]
    fn every_steady_type_has_shorthand() {
        for t in TYPES {
            assert!(events(t.key).len() >= 5, "{} needs shorthand", t.key);
        }
    }
}
