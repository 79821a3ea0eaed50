namespace Wdc
{
    /// <summary>Training progress, passed to the callback of <see cref="Model.Train(string, System.Func{Progress, bool})"/> (and
    /// of <see cref="Model.CrossValidate"/>, for every fold's training) after every batch and
    /// after every epoch's validation.</summary>
    public sealed class Progress
    {
        internal Progress(int epoch, int epochs, long step, long steps, double loss,
                          double valExactMatch, int fold, int folds)
        {
            Fold = fold;
            Folds = folds;
            Epoch = epoch;
            Epochs = epochs;
            Step = step;
            Steps = steps;
            Loss = loss;
            ValidationExactMatch = valExactMatch < 0 ? (double?)null : valExactMatch;
        }

        /// <summary>The current epoch, 1-based.</summary>
        public int Epoch { get; private set; }

        /// <summary>The number of epochs.</summary>
        public int Epochs { get; private set; }

        /// <summary>Batches done in this epoch.</summary>
        public long Step { get; private set; }

        /// <summary>Batches per epoch.</summary>
        public long Steps { get; private set; }

        /// <summary>Mean training loss so far in this epoch.</summary>
        public double Loss { get; private set; }

        /// <summary>Exact-match accuracy of this epoch's validation, in the call after the
        /// epoch's last batch once validation has run; null before that and without
        /// validation data.</summary>
        public double? ValidationExactMatch { get; private set; }

        /// <summary>In <see cref="Model.CrossValidate"/>: the fold being trained, 1-based; 0 in
        /// <see cref="Model.Train(string, System.Func{Progress, bool})"/>.</summary>
        public int Fold { get; private set; }

        /// <summary>In <see cref="Model.CrossValidate"/>: the number of folds; 0 in
        /// <see cref="Model.Train(string, System.Func{Progress, bool})"/>.</summary>
        public int Folds { get; private set; }

        /// <summary>A one-line summary, e.g. <c>epoch 1/4 step 10/50 loss 0.3121</c> (led by
        /// <c>fold 2/5</c> in cross-validation).</summary>
        public override string ToString()
        {
            string text = string.Format(System.Globalization.CultureInfo.InvariantCulture,
                "epoch {0}/{1} step {2}/{3} loss {4:F4}", Epoch, Epochs, Step, Steps, Loss);
            if (Folds > 0)
                text = string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    "fold {0}/{1} ", Fold, Folds) + text;
            if (ValidationExactMatch.HasValue)
                text += string.Format(System.Globalization.CultureInfo.InvariantCulture,
                    " val exact match {0:F4}", ValidationExactMatch.Value);
            return text;
        }
    }
}
