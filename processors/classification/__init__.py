"""Statistical topic classification: a fastText model trained on public labelled news.

``text`` turns an article into the model's input (the same folding the
keyword steps use, so the folded text is shared), ``model`` loads the shipped
weights and returns calibrated topic probabilities with the words that weighed
most, and ``train`` rebuilds the weights from the labelled data.
"""
