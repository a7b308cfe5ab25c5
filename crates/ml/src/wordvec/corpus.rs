//! What word vectors train on: texts that can be read again, in the same order.

use crate::MlError;

/// The training texts, read in the same order each time they are asked for: training reads
/// them twice (vocabulary, then token ids) and the finished model once more (its principal
/// component), so a store can stream a million reports instead of holding them.
pub trait Corpus {
    fn each_text(&mut self, visit: &mut dyn FnMut(&str)) -> Result<(), MlError>;
}

impl Corpus for &[&str] {
    fn each_text(&mut self, visit: &mut dyn FnMut(&str)) -> Result<(), MlError> {
        self.iter().for_each(|t| visit(t));
        Ok(())
    }
}
