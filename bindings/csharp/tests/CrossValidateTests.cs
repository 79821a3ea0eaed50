// NUnit 2.6 tests of k-fold cross-validation through the C# binding (Model.CrossValidate; ctest -L
// csharp, with the other *Tests.cs): every map is held out once and scored by a model that never
// saw it, the progress callback sees every fold, the model handed in is only a template,
// refusals and cancellation surface as documented, and an interrupted run with a checkpoint
// resumes from its fold files.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class CrossValidateTests
    {
        private static readonly string[] ClassNames = { "Clean", "Full" };
        private const string Options =
            "{\"folds\": 3, \"epochs\": 8, \"lr\": 0.05, \"batch_size\": 4, \"val_fraction\": 0, " +
            "\"seed\": 1, \"threads\": 1}";

        /// <summary>count 24 x 24 maps, map i of class i % 2 ("Clean": 2 % of the dies fail,
        /// "Full": 85 %).</summary>
        private static Dataset TwoClasses(int count, int seed, string[] names)
        {
            var maps = new List<byte[,]>();
            var classes = new int[count];
            for (int i = 0; i < count; ++i)
            {
                classes[i] = i % 2;
                maps.Add(FabDataTests.Wafer(24, 24, classes[i] == 0 ? 0.02 : 0.85, seed + i));
            }
            return Dataset.Create(maps, classes, names);
        }

        private static double NumberAfter(string text, string key, int from = 0)
        {
            Match m = new Regex(Regex.Escape(key) + "([-0-9.eE+]+)").Match(text, from);
            Assert.That(m.Success, Is.True, key + " in " + text);
            return double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
        }

        [Test]
        public void EveryMapIsHeldOutOnceAndScoredByAModelThatNeverSawIt()
        {
            using (Model model = Model.Create(FabDataTests.UnlabelledConfig))
            using (Dataset data = TwoClasses(24, 0, ClassNames))
            using (Dataset val = TwoClasses(6, 100, ClassNames))
            {
                var probe = new byte[1, 24, 24];
                byte[,] one = FabDataTests.Wafer(24, 24, 0.85, 7);
                Buffer.BlockCopy(one, 0, probe, 0, one.Length);
                float[,] before = model.Predict(probe);
                var folds = new HashSet<int>();
                int lastFold = 0, outOfOrder = 0, totalFolds = 0;
                string report = model.CrossValidate(data, val, Options, p =>
                {
                    folds.Add(p.Fold);
                    if (p.Fold < lastFold)
                        ++outOfOrder;
                    lastFold = p.Fold;
                    totalFolds = p.Folds;
                    StringAssert.StartsWith("fold " + p.Fold + "/3 epoch", p.ToString());
                    return false;
                });
                Assert.That(folds.OrderBy(f => f), Is.EqualTo(new[] { 1, 2, 3 }));
                Assert.That(outOfOrder, Is.EqualTo(0));
                Assert.That(totalFolds, Is.EqualTo(3));
                StringAssert.Contains("\"samples\":30", report);
                int heldOut = Regex.Matches(report, "\"held_out_samples\":([0-9]+)").Cast<Match>()
                                   .Sum(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
                Assert.That(heldOut, Is.EqualTo(30));
                int pooled = report.IndexOf("\"out_of_fold\":", StringComparison.Ordinal);
                Assert.That(pooled, Is.GreaterThan(0));
                Assert.That(NumberAfter(report, "\"accuracy\":", pooled), Is.GreaterThanOrEqualTo(0.9));
                // The model handed in is a template: untouched.
                Assert.That(model.Predict(probe), Is.EqualTo(before));
            }
        }

        [Test]
        public void AnInterruptedRunResumesFromItsFoldFiles()
        {
            string dir = Path.Combine(Path.GetTempPath(), "wdc-cv-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                using (Model model = Model.Create(FabDataTests.UnlabelledConfig))
                using (Dataset data = TwoClasses(12, 0, ClassNames))
                {
                    string prefix = Path.Combine(dir, "cv");
                    string options =
                        "{\"folds\": 2, \"epochs\": 2, \"lr\": 0.05, \"batch_size\": 4, " +
                        "\"val_fraction\": 0, \"seed\": 1, \"threads\": 1, \"checkpoint\": \"" +
                        prefix + "\"";
                    // Stopped as the second fold starts: the first one's file stays.
                    Assert.Throws<OperationCanceledException>(
                        () => model.CrossValidate(data, null, options + "}", p => p.Fold == 2));
                    Assert.That(File.Exists(prefix + ".fold1.json"), Is.True);
                    Assert.That(File.Exists(prefix + ".fold2.json"), Is.False);
                    var trained = new HashSet<int>();
                    string report = model.CrossValidate(data, null, options + ", \"resume\": true}",
                        p => { trained.Add(p.Fold); return false; });
                    Assert.That(trained, Is.EquivalentTo(new[] { 2 }));
                    Assert.That(Regex.Matches(report, "\"from_file\":true").Count, Is.EqualTo(1));
                    // Three folds cut the maps otherwise: the two-fold run's files are refused.
                    ModelTests.AssertWdcError(Status.Config, () => model.CrossValidate(data, null,
                        "{\"folds\": 3, \"checkpoint\": \"" + prefix + "\", \"resume\": true}"));
                }
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [Test]
        public void CancellationAndRefusals()
        {
            using (Model model = Model.Create(FabDataTests.UnlabelledConfig))
            using (Dataset data = TwoClasses(12, 0, ClassNames))
            using (Dataset other = TwoClasses(4, 0, new[] { "A", "B" }))
            {
                int calls = 0;
                Assert.Throws<OperationCanceledException>(
                    () => model.CrossValidate(data, null, Options, p => ++calls >= 5));
                Assert.That(calls, Is.EqualTo(5));
                ModelTests.AssertWdcError(Status.Config,
                    () => model.CrossValidate(data, null, "{\"folds\": 1}"));
                ModelTests.AssertWdcError(Status.Config,
                    () => model.CrossValidate(data, null, "{\"resume\": true}"));
                ModelTests.AssertWdcError(Status.InvalidArgument,
                    () => model.CrossValidate(data, null, "{\"folds\": 13}"));
                ModelTests.AssertWdcError(Status.InvalidArgument,
                    () => model.CrossValidate(data, other, "{\"folds\": 2}"));
                Assert.Throws<ArgumentNullException>(() => model.CrossValidate(null, null, "{}"));
                Assert.Throws<ArgumentNullException>(() => model.CrossValidate(data, null, null));
            }
        }
    }
}
