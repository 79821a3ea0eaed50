// NUnit 2.6 tests of novelty through the C# binding (ctest -L csharp, with the other *Tests.cs;
// same environment): Model.Novelty against 1 - the k-th nearest training similarity computed
// from Model.Embed, NoveltyThreshold as the calibrated order statistic of the validation maps,
// Classify's "novelty" and "unknown", Load's "novelty_threshold", the built-in model's own
// statistics and FitNovelty replacing them, untrained models (no statistics), and the errors.
using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class NoveltyTests : ModelFixture
    {
        public NoveltyTests() : base("nunit-novelty")
        {
        }

        // The shared trained model: ModelTests.TinyConfig trained one epoch on TrainMaps maps,
        // with its novelty statistics calibrated on ValMaps others.
        private const int TrainMaps = 160, ValMaps = 60, K = 3;
        private const double Share = 0.05;
        private const string TrainOptions =
            "{\"epochs\": 1, \"batch_size\": 16, \"seed\": 1, \"novelty_k\": 3, \"novelty_share\": 0.05}";

        private Model _trained;
        private Dataset _train, _val;
        private string _trainReport;

        [TestFixtureSetUp]
        public void TrainSharedModel()
        {
            _train = Dataset.Synthesize(TrainMaps, 11);
            _val = Dataset.Synthesize(ValMaps, 12);
            _trained = Model.Create(ModelTests.TinyConfig);
            _trainReport = _trained.Train(_train, _val, TrainOptions);
        }

        [TestFixtureTearDown]
        public void DisposeSharedData()
        {
            foreach (IDisposable d in new IDisposable[] { _trained, _train, _val })
                if (d != null)
                    d.Dispose();
        }

        // ---- helpers ------------------------------------------------------------------------------

        /// <summary>The maps of several arrays of one map size, one after another.</summary>
        private static byte[,,] Concat(params byte[][,,] parts)
        {
            int height = parts[0].GetLength(1), width = parts[0].GetLength(2);
            var result = new byte[parts.Sum(p => p.GetLength(0)), height, width];
            int at = 0;
            foreach (byte[,,] part in parts)
            {
                Assert.That(new[] { part.GetLength(1), part.GetLength(2) }, Is.EqualTo(new[] { height, width }));
                Buffer.BlockCopy(part, 0, result, at, part.Length);
                at += part.Length;
            }
            return result;
        }

        /// <summary>Wafers unlike the synthetic data: every die failed, no die failed, and a
        /// checkerboard.</summary>
        private static byte[,,] OddMaps()
        {
            var maps = new byte[3, 52, 52];
            for (int r = 0; r < 52; ++r)
                for (int c = 0; c < 52; ++c)
                {
                    double dr = (r - 25.5) / 26, dc = (c - 25.5) / 26;
                    bool on = dr * dr + dc * dc <= 1.0;
                    maps[0, r, c] = on ? (byte)2 : (byte)0;
                    maps[1, r, c] = on ? (byte)1 : (byte)0;
                    maps[2, r, c] = on ? (byte)(1 + (r + c) % 2) : (byte)0;
                }
            return maps;
        }

        private static byte[] Flatten(byte[,,] maps)
        {
            var flat = new byte[maps.Length];
            Buffer.BlockCopy(maps, 0, flat, 0, flat.Length);
            return flat;
        }

        /// <summary>What novelty is, from the embeddings alone: for each query, 1 minus its k-th
        /// largest cosine similarity (dot product of unit rows) to the bank's rows.</summary>
        private static double[] ExpectedNovelty(float[,] bank, float[,] queries, int k)
        {
            int n = bank.GetLength(0), d = bank.GetLength(1);
            Assert.That(queries.GetLength(1), Is.EqualTo(d));
            var result = new double[queries.GetLength(0)];
            for (int q = 0; q < result.Length; ++q)
            {
                var similarities = new double[n];
                for (int j = 0; j < n; ++j)
                {
                    double dot = 0;
                    for (int c = 0; c < d; ++c)
                        dot += (double)queries[q, c] * bank[j, c];
                    similarities[j] = Math.Max(-1, Math.Min(1, dot));
                }
                result[q] = 1 - similarities.OrderByDescending(s => s).ElementAt(k - 1);
            }
            return result;
        }

        /// <summary>The calibration rule, independently: at most floor(share * n) of the scores are
        /// above the threshold, which is the (n - floor(share * n))-th smallest score.</summary>
        private static void AssertCalibrated(float threshold, float[] scores, double share)
        {
            int n = scores.Length;
            int flaggable = (int)Math.Floor(share * n + 1e-9);
            float[] sorted = scores.OrderBy(s => s).ToArray();
            Assert.That(threshold, Is.EqualTo(sorted[n - flaggable - 1]).Within(1e-5f),
                        "the (n - floor(share * n))-th smallest of " + n + " scores");
            Assert.That(scores.Count(s => s > threshold + 1e-5f), Is.LessThanOrEqualTo(flaggable));
        }

        private static List<Dictionary<string, object>> Objects(string json)
        {
            return ((List<object>)Json.Parse(json)).Cast<Dictionary<string, object>>().ToList();
        }

        /// <summary>Checks Classify's "novelty" and "unknown" against Novelty and a threshold;
        /// returns the number of unknown maps.</summary>
        private static int AssertNoveltyInClassify(string json, float[] novelty, float threshold)
        {
            List<Dictionary<string, object>> maps = Objects(json);
            Assert.That(maps.Count, Is.EqualTo(novelty.Length));
            int unknown = 0;
            for (int i = 0; i < maps.Count; ++i)
            {
                string what = "map " + i;
                Assert.That(maps[i]["novelty"], Is.InstanceOf<double>(), what);
                var value = (float)(double)maps[i]["novelty"];
                Assert.That(value, Is.EqualTo(novelty[i]).Within(2e-6f), what);
                // The library decides on the value it reports.
                Assert.That(maps[i]["unknown"], Is.EqualTo(value > threshold), what);
                if ((bool)maps[i]["unknown"])
                    ++unknown;
            }
            return unknown;
        }

        // ---- a trained model ----------------------------------------------------------------------

        [Test]
        public void TrainingCalibratesTheThresholdOnTheValidationMaps()
        {
            float threshold = _trained.NoveltyThreshold;
            float[] scores = _trained.Novelty(_val.Maps(0, ValMaps));
            Assert.That(scores.Length, Is.EqualTo(ValMaps));
            foreach (float s in scores)
                Assert.That(s, Is.InRange(0f, 2f));
            AssertCalibrated(threshold, scores, Share);

            // The training report says what was computed.
            var novelty = (Dictionary<string, object>)Json.Object(_trainReport)["novelty"];
            Assert.That(novelty["method"], Is.EqualTo("knn"));
            Assert.That(novelty["k"], Is.EqualTo((double)K));
            Assert.That(novelty["bank"], Is.EqualTo((double)TrainMaps));  // fewer than 4096: all
            Assert.That(novelty["calibration_share"], Is.EqualTo(Share));
            Assert.That(novelty["calibration_maps"], Is.EqualTo((double)ValMaps));
            Assert.That((float)(double)novelty["threshold"], Is.EqualTo(threshold));
        }

        [Test]
        public void NoveltyIsOneMinusTheKthNearestTrainingSimilarity()
        {
            // The bank is every training map's embedding (fewer maps than the bank's size).
            float[,] bank = _trained.Embed(_train.Maps(0, TrainMaps));
            byte[,,] queries = Concat(_val.Maps(0, 20), _train.Maps(5, 4), OddMaps());
            double[] expected = ExpectedNovelty(bank, _trained.Embed(queries), K);
            float[] novelty = _trained.Novelty(queries);
            Assert.That(novelty.Length, Is.EqualTo(expected.Length));
            // This barely trained network sees the maps much alike (novelty ~0.001-0.01): a tight
            // tolerance.
            for (int i = 0; i < expected.Length; ++i)
                Assert.That(novelty[i], Is.EqualTo(expected[i]).Within(2e-6), "map " + i);
        }

        [Test]
        public void OverloadsAgreeAndEmptyInputsGiveEmptyResults()
        {
            byte[,,] maps = Concat(_val.Maps(10, 6), OddMaps());
            float[] novelty = _trained.Novelty(maps);
            Assert.That(novelty.Length, Is.EqualTo(9));
            Assert.That(_trained.Novelty(Flatten(maps), 9, 52, 52), Is.EqualTo(novelty).Within(1e-6f));
            // A longer buffer: only count maps are read.
            var longer = new byte[maps.Length + 52 * 52];
            Buffer.BlockCopy(maps, 0, longer, 0, maps.Length);
            Assert.That(_trained.Novelty(longer, 9, 52, 52), Is.EqualTo(novelty).Within(1e-6f));
            // Each map alone: the same.
            for (int i = 0; i < 9; ++i)
            {
                var one = new byte[52 * 52];
                Buffer.BlockCopy(maps, i * one.Length, one, 0, one.Length);
                Assert.That(_trained.Novelty(one, 1, 52, 52)[0], Is.EqualTo(novelty[i]).Within(2e-6f), "map " + i);
            }
            // Maps of another size are resized, as for Predict.
            float[] other = _trained.Novelty(ModelTests.MakeMaps(2, 40, 31));
            Assert.That(other.Length, Is.EqualTo(2));
            foreach (float s in other)
                Assert.That(s, Is.InRange(0f, 2f));

            Assert.That(_trained.Novelty(new byte[0, 52, 52]), Is.Empty);
            Assert.That(_trained.Novelty(new byte[0], 0, 52, 52), Is.Empty);
            // No maps: no call, so not even a model without statistics complains.
            Assert.That(_model.Novelty(new byte[0, 52, 52]), Is.Empty);
            Assert.That(_model.Novelty(new byte[0], 0, 52, 52), Is.Empty);
        }

        [Test]
        public void ClassifyReportsNoveltyAndUnknown()
        {
            float threshold = _trained.NoveltyThreshold;
            byte[,,] maps = Concat(_val.Maps(0, 20), OddMaps());
            string json = _trained.Classify(maps);
            ModelTests.AssertClassification(_trained, json, _trained.Predict(maps), 0);
            AssertNoveltyInClassify(json, _trained.Novelty(maps), threshold);

            // From the data set: the calibration maps, at most floor(share * n) of them unknown.
            string fromSet = _trained.Classify(_val, 0, ValMaps);
            int unknown = AssertNoveltyInClassify(fromSet, _trained.Novelty(_val.Maps(0, ValMaps)),
                                                  threshold);
            Assert.That(unknown, Is.LessThanOrEqualTo((int)Math.Floor(Share * ValMaps)));
        }

        [Test]
        public void LoadKeepsTheStatisticsAndNoveltyThresholdReplacesTheThreshold()
        {
            string path = TempPath("trained.wdcm");
            _trained.Save(path);
            byte[,,] maps = Concat(_val.Maps(0, 20), OddMaps());
            float[] novelty = _trained.Novelty(maps);

            using (Model loaded = Model.Load(path))
            {
                Assert.That(loaded.NoveltyThreshold, Is.EqualTo(_trained.NoveltyThreshold));
                Assert.That(loaded.Novelty(maps), Is.EqualTo(novelty).Within(1e-6f));
            }

            // Threshold 0: every map of novelty above 0 is unknown.
            using (Model loaded = Model.Load(path, "{\"novelty_threshold\": 0}"))
            {
                Assert.That(loaded.NoveltyThreshold, Is.EqualTo(0f));
                int unknown = AssertNoveltyInClassify(loaded.Classify(maps), novelty, 0f);
                Assert.That(unknown, Is.EqualTo(novelty.Count(s => s > 0)));
                Assert.That(unknown, Is.GreaterThan(0));
            }

            // The median: some maps above it, some not.
            float median = novelty.OrderBy(s => s).ElementAt(novelty.Length / 2);
            string options = "{\"novelty_threshold\": " + median.ToString("R", System.Globalization.CultureInfo.InvariantCulture) + "}";
            using (Model loaded = Model.Load(path, options))
            {
                Assert.That(loaded.NoveltyThreshold, Is.EqualTo(median));
                int unknown = AssertNoveltyInClassify(loaded.Classify(maps), novelty, median);
                Assert.That(unknown, Is.EqualTo(novelty.Count(s => s > median)));
                Assert.That(unknown, Is.InRange(1, novelty.Length - 1));
            }

            // Above every possible novelty: nothing is unknown.
            using (Model loaded = Model.Load(path, "{\"novelty_threshold\": 2}"))
                Assert.That(AssertNoveltyInClassify(loaded.Classify(maps), novelty, 2f), Is.EqualTo(0));

            ModelTests.AssertWdcError(Status.Config, () => Model.Load(path, "{\"novelty_threshold\": \"high\"}"));
        }

        // ---- the built-in model -------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void TheBuiltinModelHasNoveltyStatistics()
        {
            byte[,,] maps = Concat(ModelTests.MakeMaps(2, 52, 52), OddMaps());
            float[] novelty;
            using (Model builtin = Model.LoadBuiltin())
            {
                float threshold = builtin.NoveltyThreshold;
                Assert.That(threshold, Is.GreaterThan(0f));
                Assert.That(threshold, Is.LessThanOrEqualTo(2f));
                novelty = builtin.Novelty(maps);
                Assert.That(novelty.Length, Is.EqualTo(5));
                foreach (float s in novelty)
                    Assert.That(s, Is.InRange(0f, 2f));
                Assert.That(builtin.Novelty(Flatten(maps), 5, 52, 52), Is.EqualTo(novelty).Within(1e-6f));
                // Classify reports a number for every map, and decides "unknown" by the threshold.
                AssertNoveltyInClassify(builtin.Classify(maps), novelty, threshold);
            }
            // With statistics, a threshold may be given at load time.
            using (Model builtin = Model.LoadBuiltin("{\"novelty_threshold\": 0.2}"))
            {
                Assert.That(builtin.NoveltyThreshold, Is.EqualTo(0.2f));
                Assert.That(builtin.Novelty(maps), Is.EqualTo(novelty).Within(1e-6f));
                AssertNoveltyInClassify(builtin.Classify(maps), novelty, 0.2f);
            }
            ModelTests.AssertWdcError(Status.Config, () => Model.LoadBuiltin("{\"novelty_threshold\": \"high\"}"));
        }

        // ---- models without novelty statistics ---------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void ModelsWithoutStatisticsRefuseNovelty()
        {
            byte[,,] maps = Concat(ModelTests.MakeMaps(2, 52, 52), OddMaps());
            // An untrained model of the built-in model's network (the default), and its file.
            using (Model untrained = Model.Create())
            {
                ModelTests.AssertWdcError(Status.Unsupported, () => untrained.Novelty(maps));
                ModelTests.AssertWdcError(Status.Unsupported, () => untrained.Novelty(Flatten(maps), 5, 52, 52));
                WdcException e = ModelTests.AssertWdcError(Status.Unsupported, () => { var t = untrained.NoveltyThreshold; });
                StringAssert.Contains("novelty", e.NativeMessage);
                // Classify still answers: novelty null, nothing unknown.
                List<Dictionary<string, object>> classified = Objects(untrained.Classify(maps));
                Assert.That(classified.Count, Is.EqualTo(5));
                foreach (Dictionary<string, object> map in classified)
                {
                    Assert.That(map.ContainsKey("novelty"), Is.True);
                    Assert.That(map["novelty"], Is.Null);
                    Assert.That(map["unknown"], Is.EqualTo(false));
                }

                string path = TempPath("untrained-default.wdcm");
                untrained.Save(path);
                ModelTests.AssertWdcError(Status.InvalidArgument, () => Model.Load(path, "{\"novelty_threshold\": 0.2}"));
                using (Model loaded = Model.Load(path))
                {
                    ModelTests.AssertWdcError(Status.Unsupported, () => { var t = loaded.NoveltyThreshold; });
                    ModelTests.AssertWdcError(Status.Unsupported, () => loaded.Novelty(maps));
                }
            }

            // The shared untrained tiny model, and its file.
            ModelTests.AssertWdcError(Status.Unsupported, () => _model.Novelty(maps));
            ModelTests.AssertWdcError(Status.Unsupported, () => { var t = _model.NoveltyThreshold; });
            string tiny = TempPath("untrained.wdcm");
            _model.Save(tiny);
            ModelTests.AssertWdcError(Status.InvalidArgument, () => Model.Load(tiny, "{\"novelty_threshold\": 0.2}"));
            using (Model loaded = Model.Load(tiny))
                ModelTests.AssertWdcError(Status.Unsupported, () => { var t = loaded.NoveltyThreshold; });
        }

        [Test]
        [Timeout(120000)]
        public void TrainingWithoutABankDropsTheStatistics()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            using (Dataset train = Dataset.Synthesize(40, 31))
            using (Dataset val = Dataset.Synthesize(20, 32))
            {
                model.FitNovelty(train, val);
                Assert.That(model.Novelty(val.Maps(0, 2)).Length, Is.EqualTo(2));
                // New weights: the old statistics go, and "novelty_bank": 0 computes none.
                string report = model.Train(train, val, "{\"epochs\": 1, \"seed\": 2, \"novelty_bank\": 0}");
                Assert.That(Json.Object(report)["novelty"], Is.Null);
                ModelTests.AssertWdcError(Status.Unsupported, () => model.Novelty(val.Maps(0, 2)));
                ModelTests.AssertWdcError(Status.Unsupported, () => { var t = model.NoveltyThreshold; });
                ModelTests.AssertWdcError(Status.Config,
                                          () => model.Train(train, val, "{\"epochs\": 1, \"novelty_share\": 0.9}"));
            }
        }

        // ---- FitNovelty ---------------------------------------------------------------------------

        [Test]
        [Timeout(300000)]
        public void FitNoveltyReplacesTheBuiltinModelStatistics()
        {
            const int trainCount = 40, valCount = 30;
            using (Model model = Model.LoadBuiltin())
            using (Dataset train = Dataset.Synthesize(trainCount, 21))
            using (Dataset val = Dataset.Synthesize(valCount, 22))
            {
                // The built-in model comes with statistics of its own (a bank of 4096 training
                // maps); fitting replaces them with a bank of these 40.
                float builtinThreshold = model.NoveltyThreshold;
                Assert.That(builtinThreshold, Is.GreaterThan(0f));
                string json = model.FitNovelty(train, val, "{\"k\": 2, \"share\": 0.1, \"seed\": 3}");
                Dictionary<string, object> result = Json.Object(json);
                Assert.That(result["method"], Is.EqualTo("knn"));
                Assert.That(result["k"], Is.EqualTo(2.0));
                Assert.That(result["bank"], Is.EqualTo((double)trainCount));
                Assert.That(result["calibration_share"], Is.EqualTo(0.1));
                Assert.That(result["calibration_maps"], Is.EqualTo((double)valCount));
                float threshold = model.NoveltyThreshold;
                Assert.That((float)(double)result["threshold"], Is.EqualTo(threshold));

                byte[,,] valMaps = val.Maps(0, valCount);
                float[] scores = model.Novelty(valMaps);
                AssertCalibrated(threshold, scores, 0.1);

                // Against the embeddings: the bank is every training map.
                float[,] bank = model.Embed(train.Maps(0, trainCount));
                byte[,,] queries = Concat(valMaps, train.Maps(0, 3), OddMaps());
                double[] expected = ExpectedNovelty(bank, model.Embed(queries), 2);
                float[] novelty = model.Novelty(queries);
                for (int i = 0; i < expected.Length; ++i)
                    Assert.That(novelty[i], Is.EqualTo(expected[i]).Within(1e-5), "map " + i);
                AssertNoveltyInClassify(model.Classify(queries), novelty, threshold);

                // Saved, the new statistics load back; and a threshold may be given.
                string path = TempPath("builtin-with-novelty.wdcm");
                model.Save(path);
                using (Model loaded = Model.Load(path))
                {
                    Assert.That(loaded.NoveltyThreshold, Is.EqualTo(threshold));
                    Assert.That(loaded.Novelty(queries), Is.EqualTo(novelty).Within(1e-6f));
                }
                using (Model loaded = Model.Load(path, "{\"novelty_threshold\": 0.25}"))
                {
                    Assert.That(loaded.NoveltyThreshold, Is.EqualTo(0.25f));
                    // Fitted again, the threshold given at load time stays in force.
                    loaded.FitNovelty(train, val, "{\"k\": 1}");
                    Assert.That(loaded.NoveltyThreshold, Is.EqualTo(0.25f));
                    // k = 1 and every training map in the bank: a training map is its own nearest.
                    foreach (float s in loaded.Novelty(train.Maps(0, 5)))
                        Assert.That(s, Is.EqualTo(0f).Within(1e-5f));
                }

                // A smaller bank: a sample of the training maps, so each query's k-th nearest is
                // no nearer than among all of them.
                result = Json.Object(model.FitNovelty(train, val, "{\"k\": 2, \"bank\": 10, \"seed\": 5}"));
                Assert.That(result["bank"], Is.EqualTo(10.0));
                float[] sampled = model.Novelty(queries);
                for (int i = 0; i < expected.Length; ++i)
                    Assert.That(sampled[i], Is.GreaterThanOrEqualTo(expected[i] - 1e-5), "map " + i);

                // The defaults: k 5, bank 4096 (more than the 40 maps: all of them), share 0.01,
                // which flags none of 30 maps: the threshold is the highest validation novelty.
                result = Json.Object(model.FitNovelty(train, val));
                Assert.That(result["k"], Is.EqualTo(5.0));
                Assert.That(result["bank"], Is.EqualTo((double)trainCount));
                Assert.That(result["calibration_share"], Is.EqualTo(0.01));
                scores = model.Novelty(valMaps);
                Assert.That(model.NoveltyThreshold, Is.EqualTo(scores.Max()).Within(1e-6f));
                AssertCalibrated(model.NoveltyThreshold, scores, 0.01);
            }
        }

        [Test]
        public void FitNoveltyErrors()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            using (Dataset train = Dataset.Synthesize(12, 41))
            using (Dataset val = Dataset.Synthesize(6, 42))
            using (Dataset two = Dataset.Synthesize(2, 43))
            using (DatasetSplit split = val.Split("{\"val\": 0, \"test\": 0}"))
            {
                foreach (string options in new[] { "{\"share\": 0.9}", "{\"share\": -0.1}",
                                                   "{\"share\": \"a lot\"}", "{\"k\": 0}",
                                                   "{\"k\": 1001}", "{\"k\": 3, \"bank\": 2}",
                                                   "{\"bank\": 0}", "{\"seed\": -1}",
                                                   "{\"bogus\": 1}", "not json", "[1]" })
                {
                    WdcException e = ModelTests.AssertWdcError(Status.Config,
                                                               () => model.FitNovelty(train, val, options));
                    Assert.That(e.NativeMessage, Is.Not.Empty, options);
                }
                // Fewer training maps than k; a data set without maps.
                ModelTests.AssertWdcError(Status.InvalidArgument,
                                          () => model.FitNovelty(two, val, "{\"k\": 3}"));
                Assert.That(split.Validation.Count, Is.EqualTo(0));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.FitNovelty(train, split.Validation));
                ModelTests.AssertWdcError(Status.InvalidArgument, () => model.FitNovelty(split.Validation, val));
                // None of that gave the model statistics.
                ModelTests.AssertWdcError(Status.Unsupported, () => { var t = model.NoveltyThreshold; });

                Assert.Throws<ArgumentNullException>(() => model.FitNovelty(null, val));
                Assert.Throws<ArgumentNullException>(() => model.FitNovelty(train, null));
                // The exact share: 0.5 of 6 maps flags 3.
                model.FitNovelty(train, val, "{\"share\": 0.5, \"k\": 2}");
                AssertCalibrated(model.NoveltyThreshold, model.Novelty(val.Maps(0, 6)), 0.5);
            }
        }

        [Test]
        public void NoveltyArgumentErrors()
        {
            Assert.Throws<ArgumentNullException>(() => _trained.Novelty((byte[,,])null));
            Assert.Throws<ArgumentNullException>(() => _trained.Novelty((byte[])null, 1, 52, 52));
            // The library cannot see the array's length: the binding refuses a short buffer, on
            // a model with or without statistics.
            Assert.Throws<ArgumentException>(() => _trained.Novelty(new byte[52 * 52], 2, 52, 52));
            Assert.Throws<ArgumentException>(() => _trained.Novelty(new byte[52 * 52], 1, 52, 53));
            Assert.Throws<ArgumentException>(() => _trained.Novelty(new byte[52 * 52], 1, 60, 60));
            Assert.Throws<ArgumentException>(() => _model.Novelty(new byte[52 * 52 - 1], 1, 52, 52));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _trained.Novelty(new byte[52], -1, 52, 52));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _trained.Novelty(new byte[52], 1, 0, 52));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _trained.Novelty(new byte[52], 1, 52, -1));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _trained.Novelty(new byte[1, 0, 52]));
            ModelTests.AssertWdcError(Status.InvalidArgument, () => _trained.Novelty(new byte[1, 1, 4097]));
        }

        [Test]
        public void DisposedModelsAndDataSetsThrowObjectDisposed()
        {
            using (Dataset data = Dataset.Synthesize(6, 51))
            {
                Model model = Model.Create(ModelTests.TinyConfig);
                model.FitNovelty(data, data);
                model.Dispose();
                Assert.Throws<ObjectDisposedException>(() => model.Novelty(data.Maps(0, 1)));
                Assert.Throws<ObjectDisposedException>(() => model.Novelty(new byte[52 * 52], 1, 52, 52));
                Assert.Throws<ObjectDisposedException>(() => { var t = model.NoveltyThreshold; });
                Assert.Throws<ObjectDisposedException>(() => model.FitNovelty(data, data));

                Dataset gone = Dataset.Synthesize(6, 52);
                gone.Dispose();
                Assert.Throws<ObjectDisposedException>(() => _model.FitNovelty(gone, data));
                Assert.Throws<ObjectDisposedException>(() => _model.FitNovelty(data, gone));
            }
        }

        // ---- threads ------------------------------------------------------------------------------

        [Test]
        [Timeout(120000)]
        public void NoveltyFromManyThreadsMatchesSerialResults()
        {
            byte[,,] maps = Concat(_val.Maps(0, 6), OddMaps());
            float[] expected = _trained.Novelty(maps);
            float threshold = _trained.NoveltyThreshold;
            const int threadCount = 6, rounds = 4;
            var errors = new List<Exception>();
            var threads = new Thread[threadCount];
            using (var start = new ManualResetEvent(false))
            {
                for (int t = 0; t < threadCount; ++t)
                {
                    threads[t] = new Thread(() =>
                    {
                        try
                        {
                            start.WaitOne();
                            for (int r = 0; r < rounds; ++r)
                            {
                                Assert.That(_trained.Novelty(maps), Is.EqualTo(expected));
                                Assert.That(_trained.NoveltyThreshold, Is.EqualTo(threshold));
                            }
                        }
                        catch (Exception e)
                        {
                            lock (errors)
                                errors.Add(e);
                        }
                    });
                    threads[t].Start();
                }
                start.Set();
                foreach (Thread thread in threads)
                    thread.Join();
            }
            Assert.That(errors, Is.Empty, errors.Count > 0 ? errors[0].ToString() : "");
        }

        [Test]
        [Timeout(120000)]
        public void NoveltyCallsFailWithBusyWhileTraining()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            using (Dataset data = Dataset.Synthesize(40, 61))
            using (var inCallback = new ManualResetEvent(false))
            using (var release = new ManualResetEvent(false))
            {
                model.FitNovelty(data, data);
                Exception trainError = null;
                var trainer = new Thread(() =>
                {
                    try
                    {
                        model.Train(data, data, "{\"epochs\": 1, \"batch_size\": 8}", p =>
                        {
                            inCallback.Set();
                            release.WaitOne(60000);
                            return true;
                        });
                    }
                    catch (Exception e)
                    {
                        trainError = e;
                    }
                });
                trainer.Start();
                Assert.That(inCallback.WaitOne(60000), Is.True, "the callback was never called");
                try
                {
                    ModelTests.AssertWdcError(Status.Busy, () => model.Novelty(data.Maps(0, 1)));
                    ModelTests.AssertWdcError(Status.Busy, () => { var t = model.NoveltyThreshold; });
                    ModelTests.AssertWdcError(Status.Busy, () => model.FitNovelty(data, data));
                }
                finally
                {
                    release.Set();
                    trainer.Join();
                }
                Assert.That(trainError, Is.InstanceOf<OperationCanceledException>());
            }
        }
    }
}
