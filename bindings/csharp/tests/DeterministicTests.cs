// Deterministic training through the C# door (docs/TRAINING.md): the training option
// "deterministic" reaches wdc_train, and the same tiny network trained with 1 and with 2 threads
// ends with the same weights, bit for bit (equal "fingerprint" in Model.Info). The library needs
// the process started with ATEN_CPU_CAPABILITY=avx2 and OPENBLAS_CORETYPE=Haswell; ctest's
// csharp_nunit sets both (bindings/csharp/CMakeLists.txt). Run without them, the test accepts
// either the library's Unsupported error naming them or a success (a machine whose ATen and
// OpenBLAS already choose those kernels passes the library's check anyway).
using System;
using System.Collections.Generic;
using NUnit.Framework;
using Wdc;

namespace Wdc.Tests
{
    [TestFixture]
    public class DeterministicTests
    {
        private const string AtenPin = "ATEN_CPU_CAPABILITY=avx2";
        private const string OpenBlasPin = "OPENBLAS_CORETYPE=Haswell";

        private static bool Pinned()
        {
            return Environment.GetEnvironmentVariable("ATEN_CPU_CAPABILITY") == "avx2" &&
                   Environment.GetEnvironmentVariable("OPENBLAS_CORETYPE") == "Haswell";
        }

        private static string Options(int threads)
        {
            return "{\"synthetic\": 64, \"epochs\": 1, \"batch_size\": 16, \"lr\": 0.05, " +
                   "\"seed\": 5, \"threads\": " + threads + ", \"deterministic\": true}";
        }

        // Trains a new tiny model with the options; null when the library refuses because the
        // process is not pinned (asserted to be the documented error), ignored on a machine that
        // cannot train deterministically at all.
        private static Model Train(int threads)
        {
            Model model = Model.Create(ModelTests.TinyConfig);
            try
            {
                model.Train(Options(threads));
                return model;
            }
            catch (WdcException e)
            {
                model.Dispose();
                if (e.Status == Status.Unsupported &&
                    (e.Message.Contains("AVX2 and FMA") || e.Message.Contains("not OpenBLAS")))
                    Assert.Ignore("this machine cannot train deterministically: " + e.Message);
                if (Pinned())
                    throw;
                Assert.That(e.Status, Is.EqualTo(Status.Unsupported), e.Message);
                Assert.That(e.Message.Contains(AtenPin) || e.Message.Contains(OpenBlasPin),
                            "the message names the missing variable: " + e.Message);
                return null;
            }
            catch
            {
                model.Dispose();
                throw;
            }
        }

        [Test]
        public void OneAndTwoThreadsGiveTheSameWeights()
        {
            using (Model untrained = Model.Create(ModelTests.TinyConfig))
            using (Model one = Train(1))
            {
                if (one == null)
                    return;  // not pinned, and the library said so
                using (Model two = Train(2))
                {
                    Assert.That(two, Is.Not.Null, "the library accepted threads 1 but not 2");
                    Dictionary<string, object> infoOne = Json.Object(one.Info);
                    Dictionary<string, object> infoTwo = Json.Object(two.Info);
                    string fingerprint = (string)infoOne["fingerprint"];
                    Assert.That(fingerprint, Is.StringMatching("^[0-9a-f]{16}$"));
                    Assert.That(infoTwo["fingerprint"], Is.EqualTo(fingerprint));
                    // Training changed the weights (the fingerprint is not just the config's).
                    Assert.That(Json.Object(untrained.Info)["fingerprint"], Is.Not.EqualTo(fingerprint));
                    foreach (Dictionary<string, object> info in new[] { infoOne, infoTwo })
                    {
                        var training = (Dictionary<string, object>)info["training"];
                        var options = (Dictionary<string, object>)training["options"];
                        Assert.That(options["deterministic"], Is.EqualTo(true));
                    }
                    Assert.That(Convert.ToInt32(((Dictionary<string, object>)
                        ((Dictionary<string, object>)infoTwo["training"])["options"])["threads"]),
                        Is.EqualTo(2));
                }
            }
        }

        [Test]
        public void DeterministicMustBeABoolean()
        {
            using (Model model = Model.Create(ModelTests.TinyConfig))
            {
                var e = Assert.Throws<WdcException>(
                    () => model.Train("{\"synthetic\": 16, \"epochs\": 1, \"deterministic\": 1}"));
                Assert.That(e.Status, Is.EqualTo(Status.Config));
                StringAssert.Contains("deterministic", e.Message);
            }
        }
    }
}
