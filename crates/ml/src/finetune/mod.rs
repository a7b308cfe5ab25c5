//! Fine-tuning a pretrained BERT encoder on incident text: a trainable encoder with
//! Hugging Face tensor names (`trainable`), AdamW with checkpointable moments (`adamw`),
//! and two objectives run by one loop (`trainer`): unsupervised SimCSE (Gao et al. 2021),
//! where each sentence encoded twice with different dropout masks is its own positive and
//! the rest of the batch the negatives; and SetFit's contrastive stage (Tunstall et al.
//! 2022), where pairs of labelled reports are pulled together (same label) or apart; and
//! masked-language-model continued pre-training (BERT's own objective, as the NHS's
//! ELM4PSIR study adapted its models to incident text).

pub mod adamw;
pub mod head;
mod loss;
pub mod trainable;
pub mod trainer;

pub use adamw::{AdamW, AdamWParams};
pub use head::{ClassifierHead, HeadInfo};
pub use loss::{embed, in_batch_loss, mlm_loss, pair_loss, simcse_loss};
pub use trainable::{Dropout, TrainableBert};
pub use trainer::{
    FinetuneConfig, FinetuneProgress, FinetuneState, Finetuner, Objective, Structure, Validation,
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bert::{l2_normalise, mean_pool};
    use crate::bert::{BertModel, Config};
    use crate::rng::SplitMix64;
    use candle_core::{DType, Device, Tensor};
    use std::collections::HashMap;

    fn tiny() -> (Config, HashMap<String, Tensor>) {
        let config: Config = serde_json::from_value(serde_json::json!({
            "vocab_size": 60, "hidden_size": 16, "num_hidden_layers": 2, "num_attention_heads": 2,
            "intermediate_size": 32, "hidden_act": "gelu", "max_position_embeddings": 32,
            "type_vocab_size": 2, "layer_norm_eps": 1e-12
        }))
        .unwrap();
        let mut rng = SplitMix64::new(3);
        let mut t = HashMap::new();
        let mut put = |name: &str, shape: &[usize], ones: bool| {
            let n: usize = shape.iter().product();
            let data: Vec<f32> = if ones {
                vec![1.0; n]
            } else {
                rng.gaussian(n).into_iter().map(|x| x * 0.2).collect()
            };
            t.insert(
                name.to_string(),
                Tensor::from_vec(data, shape, &Device::Cpu).unwrap(),
            );
        };
        put("embeddings.word_embeddings.weight", &[60, 16], false);
        put("embeddings.position_embeddings.weight", &[32, 16], false);
        put("embeddings.token_type_embeddings.weight", &[2, 16], false);
        put("embeddings.LayerNorm.weight", &[16], true);
        put("embeddings.LayerNorm.bias", &[16], false);
        for i in 0..2 {
            let l = format!("encoder.layer.{i}");
            for p in [
                "attention.self.query",
                "attention.self.key",
                "attention.self.value",
                "attention.output.dense",
            ] {
                put(&format!("{l}.{p}.weight"), &[16, 16], false);
                put(&format!("{l}.{p}.bias"), &[16], false);
            }
            put(&format!("{l}.intermediate.dense.weight"), &[32, 16], false);
            put(&format!("{l}.intermediate.dense.bias"), &[32], false);
            put(&format!("{l}.output.dense.weight"), &[16, 32], false);
            put(&format!("{l}.output.dense.bias"), &[16], false);
            for n in ["attention.output.LayerNorm", "output.LayerNorm"] {
                put(&format!("{l}.{n}.weight"), &[16], true);
                put(&format!("{l}.{n}.bias"), &[16], false);
            }
        }
        (config, t)
    }

    /// Eight sequences of two "topics" (ids 1-20 and 21-40), two padded.
    fn batch() -> (Tensor, Tensor) {
        let mut rng = SplitMix64::new(9);
        let (mut ids, mut mask) = (Vec::new(), Vec::new());
        for i in 0..8u32 {
            let len = if i % 4 == 3 { 6 } else { 10 };
            for j in 0..10 {
                let base = if i % 2 == 0 { 1 } else { 21 };
                ids.push(if j < len {
                    base + rng.below(20) as u32
                } else {
                    0
                });
                mask.push(u32::from(j < len));
            }
        }
        (
            Tensor::from_vec(ids, (8, 10), &Device::Cpu).unwrap(),
            Tensor::from_vec(mask, (8, 10), &Device::Cpu).unwrap(),
        )
    }

    fn max_diff(a: &Tensor, b: &Tensor) -> f32 {
        (a - b)
            .unwrap()
            .abs()
            .unwrap()
            .flatten_all()
            .unwrap()
            .max(0)
            .unwrap()
            .to_scalar::<f32>()
            .unwrap()
    }

    fn train(
        model: &TrainableBert,
        opt: &mut AdamW,
        dropout: &mut Dropout,
        steps: usize,
    ) -> Vec<f32> {
        let (ids, mask) = batch();
        (0..steps)
            .map(|_| {
                let loss = simcse_loss(model, &ids, &mask, dropout, 0.05).unwrap();
                let grads = model.backward(&loss).unwrap();
                opt.step(&grads, 1e-3, 1.0).unwrap();
                loss.to_scalar::<f32>().unwrap()
            })
            .collect()
    }

    #[test]
    fn simcse_trains_deterministically_resumes_and_saves_a_model_the_encoder_reads() {
        let (config, tensors) = tiny();
        let (ids, mask) = batch();
        let inference = BertModel::load(
            candle_nn::VarBuilder::from_tensors(tensors.clone(), DType::F32, &Device::Cpu),
            &config,
        )
        .unwrap();
        let model =
            TrainableBert::from_tensors(config.clone(), tensors.clone(), &Device::Cpu).unwrap();
        // Without dropout the trainable encoder is the inference encoder.
        let reference =
            l2_normalise(&mean_pool(&inference.forward(&ids, &mask).unwrap(), &mask).unwrap())
                .unwrap();
        assert!(max_diff(&embed(&model, &ids, &mask).unwrap(), &reference) < 1e-4);

        let mut opt = AdamW::new(model.variables(), AdamWParams::default()).unwrap();
        let mut dropout = Dropout::new(0.1, 7);
        let losses = train(&model, &mut opt, &mut dropout, 40);
        assert!(
            losses[39] < losses[0] * 0.7,
            "SimCSE loss {} -> {}",
            losses[0],
            losses[39]
        );

        // The same seed gives the same losses; stopping, saving and resuming changes nothing.
        let again =
            TrainableBert::from_tensors(config.clone(), tensors.clone(), &Device::Cpu).unwrap();
        let mut opt2 = AdamW::new(again.variables(), AdamWParams::default()).unwrap();
        let mut dropout2 = Dropout::new(0.1, 7);
        let first = train(&again, &mut opt2, &mut dropout2, 20);
        assert_eq!(first[..], losses[..20]);
        let dir = tempfile::tempdir().unwrap();
        again.save(&dir.path().join("model.safetensors")).unwrap();
        opt2.save(&dir.path().join("optimizer.safetensors"))
            .unwrap();
        let saved =
            candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu)
                .unwrap();
        let resumed =
            TrainableBert::from_tensors(config.clone(), saved.clone(), &Device::Cpu).unwrap();
        let mut opt3 = AdamW::new(resumed.variables(), AdamWParams::default()).unwrap();
        opt3.load(&dir.path().join("optimizer.safetensors"))
            .unwrap();
        let mut dropout3 = Dropout::new(0.1, 0);
        dropout3.set_state(dropout2.state());
        let rest = train(&resumed, &mut opt3, &mut dropout3, 20);
        assert_eq!(rest[..], losses[20..]);

        // The fine-tuned weights load in the inference encoder and give its vectors.
        resumed.save(&dir.path().join("model.safetensors")).unwrap();
        let saved =
            candle_core::safetensors::load(dir.path().join("model.safetensors"), &Device::Cpu)
                .unwrap();
        let tuned = BertModel::load(
            candle_nn::VarBuilder::from_tensors(saved, DType::F32, &Device::Cpu),
            &config,
        )
        .unwrap();
        let tuned_vectors =
            l2_normalise(&mean_pool(&tuned.forward(&ids, &mask).unwrap(), &mask).unwrap()).unwrap();
        assert!(max_diff(&embed(&resumed, &ids, &mask).unwrap(), &tuned_vectors) < 1e-4);
        assert!(
            max_diff(&tuned_vectors, &reference) > 1e-3,
            "training changed nothing"
        );
    }

    #[test]
    fn pair_loss_pulls_same_topic_pairs_together_and_pushes_others_apart() {
        let (config, tensors) = tiny();
        let (ids, mask) = batch();
        let model = TrainableBert::from_tensors(config, tensors, &Device::Cpu).unwrap();
        // Rows 0..4 against rows 4..8: rows i and i + 4 share a topic when i is even.
        let targets = Tensor::new(&[1f32, 0., 1., 0.], &Device::Cpu).unwrap();
        let cosines = |m: &TrainableBert| -> Vec<f32> {
            let v = embed(m, &ids, &mask).unwrap();
            (v.narrow(0, 0, 4).unwrap() * v.narrow(0, 4, 4).unwrap())
                .unwrap()
                .sum(1)
                .unwrap()
                .to_vec1()
                .unwrap()
        };
        let before = cosines(&model);
        let mut opt = AdamW::new(model.variables(), AdamWParams::default()).unwrap();
        let mut dropout = Dropout::new(0.1, 5);
        let losses: Vec<f32> = (0..60)
            .map(|_| {
                let loss = pair_loss(&model, &ids, &mask, &targets, &mut dropout).unwrap();
                let grads = model.backward(&loss).unwrap();
                opt.update(&grads, 3e-3).unwrap();
                loss.to_scalar::<f32>().unwrap()
            })
            .collect();
        let after = cosines(&model);
        assert!(
            losses[59] < losses[0] * 0.5,
            "{} -> {}",
            losses[0],
            losses[59]
        );
        assert!(
            after[0] - after[1] > before[0] - before[1] + 0.2,
            "{before:?} -> {after:?}"
        );
        assert!(
            after[2] - after[3] > before[2] - before[3] + 0.2,
            "{before:?} -> {after:?}"
        );
    }

    #[test]
    fn mlm_head_learns_to_predict_masked_tokens_and_is_left_out_of_the_saved_encoder() {
        let (config, tensors) = tiny();
        let (ids, mask) = batch();
        let mut model = TrainableBert::from_tensors(config.clone(), tensors, &Device::Cpu).unwrap();
        model.add_mlm_head(1).unwrap();
        // Mask position 2 of every row with token 59 standing in for [MASK].
        let mut masked: Vec<u32> = ids.flatten_all().unwrap().to_vec1().unwrap();
        let positions: Vec<u32> = (0..8).map(|r| r * 10 + 2).collect();
        let targets: Vec<u32> = positions.iter().map(|&p| masked[p as usize]).collect();
        for &p in &positions {
            masked[p as usize] = 59;
        }
        let masked = Tensor::from_vec(masked, (8, 10), &Device::Cpu).unwrap();
        let positions = Tensor::new(positions.as_slice(), &Device::Cpu).unwrap();
        let targets = Tensor::new(targets.as_slice(), &Device::Cpu).unwrap();
        let mut opt = AdamW::new(model.variables(), AdamWParams::default()).unwrap();
        let mut dropout = Dropout::new(0.0, 1);
        let losses: Vec<f32> = (0..80)
            .map(|_| {
                let loss =
                    mlm_loss(&model, &masked, &mask, &positions, &targets, &mut dropout).unwrap();
                let grads = model.backward(&loss).unwrap();
                opt.update(&grads, 3e-3).unwrap();
                loss.to_scalar::<f32>().unwrap()
            })
            .collect();
        // Starts near ln(60) (uniform over the vocabulary) and falls well below it.
        assert!((losses[0] - 60f32.ln()).abs() < 1.0, "{}", losses[0]);
        assert!(
            losses[79] < losses[0] * 0.5,
            "{} -> {}",
            losses[0],
            losses[79]
        );
        let dir = tempfile::tempdir().unwrap();
        model
            .save_encoder(&dir.path().join("m.safetensors"))
            .unwrap();
        let saved =
            candle_core::safetensors::load(dir.path().join("m.safetensors"), &Device::Cpu).unwrap();
        assert!(saved.keys().all(|k| !k.starts_with("cls.")));
        assert!(saved.contains_key("encoder.layer.1.output.dense.weight"));
        // The saved encoder loads in the inference model.
        BertModel::load(
            candle_nn::VarBuilder::from_tensors(saved, DType::F32, &Device::Cpu),
            &config,
        )
        .unwrap();
    }

    /// The written-out backward pass gives every variable the gradient candle's autograd
    /// gives it through the same model code, dropout and padding included, for a SimCSE
    /// loss and for an MLM loss (whose head shares the word embeddings).
    #[test]
    fn written_backward_matches_autograd() {
        let (config, tensors) = tiny();
        let (ids, mask) = batch();
        let mut model = TrainableBert::from_tensors(config.clone(), tensors.clone(), &Device::Cpu).unwrap();
        model.add_mlm_head(4).unwrap();
        let vars: HashMap<String, Tensor> = model
            .variables()
            .into_iter()
            .map(|(k, v)| (k, v.as_tensor().clone()))
            .collect();
        // The reference: the same model code over the variables themselves, differentiated
        // by candle.
        let reference = BertModel::from_variables(&vars, &config, &Device::Cpu).unwrap();
        let positions = Tensor::new(&[3u32, 14, 15, 42], &Device::Cpu).unwrap();
        let targets = Tensor::new(&[5u32, 7, 30, 2], &Device::Cpu).unwrap();
        for objective in ["simcse", "mlm"] {
            let loss_of = |hidden: &Tensor, m: &TrainableBert| -> Tensor {
                if objective == "simcse" {
                    let views = l2_normalise(&mean_pool(hidden, &mask).unwrap()).unwrap();
                    let (a, b) = (views.narrow(0, 0, 4).unwrap(), views.narrow(0, 4, 4).unwrap());
                    let logits = (a.matmul(&b.t().unwrap()).unwrap() / 0.05).unwrap();
                    let t = Tensor::arange(0u32, 4, &Device::Cpu).unwrap();
                    candle_nn::loss::cross_entropy(&logits, &t).unwrap()
                } else {
                    let rows = hidden.reshape((80, 16)).unwrap().index_select(&positions, 0).unwrap();
                    candle_nn::loss::cross_entropy(&m.mlm_logits(&rows).unwrap(), &targets).unwrap()
                }
            };
            let mut d1 = Dropout::new(0.1, 11);
            let hidden = model.forward(&ids, &mask, Some(&mut d1)).unwrap();
            let written = model.backward(&loss_of(&hidden, &model)).unwrap();
            let mut d2 = Dropout::new(0.1, 11);
            let hidden = reference.forward_train(&ids, &mask, Some(&mut d2)).unwrap();
            let auto = loss_of(&hidden, &model).backward().unwrap();
            let mut compared = 0;
            for (name, var) in model.variables() {
                let (Some(a), Some(b)) = (written.get(var.as_tensor()), auto.get(&vars[&name])) else {
                    assert_eq!(
                        written.get(var.as_tensor()).is_some(),
                        auto.get(&vars[&name]).is_some(),
                        "{objective}: {name} has a gradient in one pass only"
                    );
                    continue;
                };
                let scale = b.abs().unwrap().flatten_all().unwrap().max(0).unwrap().to_scalar::<f32>().unwrap();
                let diff = max_diff(a, b);
                assert!(diff <= 1e-4 * scale.max(1e-3), "{objective}: {name} differs by {diff} (scale {scale})");
                compared += 1;
            }
            assert!(compared >= 30, "{objective}: only {compared} gradients compared");
        }
    }
}
