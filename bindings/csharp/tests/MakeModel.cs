// wdc_cs_make_model MODEL_PATH: creates the tiny test network (untrained) through the C# binding
// and saves it, for the example's smoke test (ctest fixture csharp_model).
using System;
using Wdc;

internal static class MakeModel
{
    private static int Main(string[] args)
    {
        if (args.Length != 1)
        {
            Console.Error.WriteLine("usage: wdc_cs_make_model MODEL_PATH");
            return 2;
        }
        try
        {
            using (Model model = Model.Create(
                       "{\"input\":{\"encoding\":\"onehot\"}," +
                       "\"blocks\":[{\"channels\":8,\"stride\":2},{\"channels\":16,\"stride\":2}]}"))
            {
                model.Save(args[0]);
                Console.WriteLine("wrote {0} (wdc {1}, labels: {2})", args[0], Library.Version,
                                  string.Join(", ", model.Labels));
            }
            return 0;
        }
        catch (WdcException e)
        {
            Console.Error.WriteLine("wdc_cs_make_model: {0}", e.Message);
            return 1;
        }
    }
}
