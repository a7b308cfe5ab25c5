//! The objectives' losses over a batch (SimCSE, the in-batch contrastive loss of span
//! pairs, SetFit's pair loss, BERT's masked-language-model loss) and dropout-free embedding.

use super::trainable::{Dropout, TrainableBert};
use crate::bert::{l2_normalise, mean_pool};
use candle_core::Tensor;

/// SimCSE's loss on one batch: cross-entropy of each sentence's first view against all
/// second views, cosine similarities over `temperature` (0.05 in the paper).
pub fn simcse_loss(
    model: &TrainableBert,
    input_ids: &Tensor,
    attention_mask: &Tensor,
    dropout: &mut Dropout,
    temperature: f64,
) -> candle_core::Result<Tensor> {
    // Both views in one forward pass over the batch stacked on itself: the dropout masks
    // still differ row by row, and the matrix products are twice as tall.
    let ids = Tensor::cat(&[input_ids, input_ids], 0)?;
    let mask = Tensor::cat(&[attention_mask, attention_mask], 0)?;
    in_batch_loss(model, &ids, &mask, dropout, temperature)
}

/// The in-batch contrastive loss (InfoNCE) both SimCSE and span training use: the batch's
/// first half are anchors, the second half their positives in the same order, and each
/// anchor is scored against every positive, the others serving as negatives.
pub fn in_batch_loss(
    model: &TrainableBert,
    stacked_ids: &Tensor,
    stacked_mask: &Tensor,
    dropout: &mut Dropout,
    temperature: f64,
) -> candle_core::Result<Tensor> {
    let batch = stacked_ids.dim(0)? / 2;
    let views = l2_normalise(&mean_pool(
        &model.forward(stacked_ids, stacked_mask, Some(dropout))?,
        stacked_mask,
    )?)?;
    let first = views.narrow(0, 0, batch)?;
    let second = views.narrow(0, batch, batch)?;
    let logits = (first.matmul(&second.t()?)? / temperature)?;
    let targets = Tensor::arange(0u32, batch as u32, stacked_ids.device())?;
    candle_nn::loss::cross_entropy(&logits, &targets)
}

/// SetFit's CosineSimilarityLoss: the mean squared difference between each pair's cosine
/// and its target. `input_ids` holds the pairs' first texts, then their second texts.
pub fn pair_loss(
    model: &TrainableBert,
    input_ids: &Tensor,
    attention_mask: &Tensor,
    targets: &Tensor,
    dropout: &mut Dropout,
) -> candle_core::Result<Tensor> {
    let pairs = targets.dim(0)?;
    let vectors = l2_normalise(&mean_pool(
        &model.forward(input_ids, attention_mask, Some(dropout))?,
        attention_mask,
    )?)?;
    let cosine = (vectors.narrow(0, 0, pairs)? * vectors.narrow(0, pairs, pairs)?)?.sum(1)?;
    (cosine - targets)?.sqr()?.mean_all()
}

/// BERT's masked-language-model loss: cross-entropy of the original token at each masked
/// position (`positions` index the flattened batch × sequence), through the MLM head.
pub fn mlm_loss(
    model: &TrainableBert,
    masked_ids: &Tensor,
    attention_mask: &Tensor,
    positions: &Tensor,
    targets: &Tensor,
    dropout: &mut Dropout,
) -> Result<Tensor, crate::MlError> {
    let (batch, seq) = masked_ids.dims2()?;
    let hidden = model
        .forward(masked_ids, attention_mask, Some(dropout))?
        .reshape((batch * seq, model.config.hidden_size))?;
    let logits = model.mlm_logits(&hidden.index_select(positions, 0)?)?;
    Ok(candle_nn::loss::cross_entropy(&logits, targets)?)
}

/// Mean-pooled, L2-normalised sentence vectors without dropout.
pub fn embed(
    model: &TrainableBert,
    input_ids: &Tensor,
    attention_mask: &Tensor,
) -> candle_core::Result<Tensor> {
    l2_normalise(&mean_pool(
        &model.forward(input_ids, attention_mask, None)?,
        attention_mask,
    )?)
}
