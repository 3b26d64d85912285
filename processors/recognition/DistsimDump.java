// Writes the word clusters (distsim lexicon) of a serialised CoreNLP CRF model
// as "word TAB cluster" lines: java DistsimDump MODEL.ser.gz OUT.tsv
import edu.stanford.nlp.ie.AbstractSequenceClassifier;
import edu.stanford.nlp.ie.NERFeatureFactory;
import edu.stanford.nlp.ie.crf.CRFClassifier;
import java.io.FileOutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;

public class DistsimDump {
  public static void main(String[] args) throws Exception {
    CRFClassifier<?> classifier = CRFClassifier.getClassifier(args[0]);
    Field factories = AbstractSequenceClassifier.class.getDeclaredField("featureFactories");
    factories.setAccessible(true);
    Field lexicon = NERFeatureFactory.class.getDeclaredField("lexicon");
    lexicon.setAccessible(true);
    for (Object factory : (List<?>) factories.get(classifier)) {
      if (!(factory instanceof NERFeatureFactory)) continue;
      Map<?, ?> words = (Map<?, ?>) lexicon.get(factory);
      if (words == null) continue;
      try (PrintWriter out = new PrintWriter(
          new OutputStreamWriter(new FileOutputStream(args[1]), "UTF-8"))) {
        for (Map.Entry<?, ?> entry : words.entrySet()) {
          out.print(entry.getKey() + "\t" + entry.getValue() + "\n");
        }
      }
      return;
    }
    throw new IllegalStateException("no distsim lexicon in " + args[0]);
  }
}
