/**
 * The PGP word list (Juola & Zimmermann, 1995): 256 two-syllable "even" words and 256
 * three-syllable "odd" words. Byte i of a fingerprint is read as EVEN[b] when i is even and ODD[b]
 * when i is odd, so a swapped, dropped or repeated word is audible when two people compare a
 * fingerprint aloud. The lists are public data; PGP_WORDS_SHA256 pins them (see the test).
 */
import { fromHex } from './encoding/bytes';
import { KeyceremonyError } from './errors';

// prettier-ignore
export const PGP_EVEN_WORDS: readonly string[] = [
  'aardvark', 'absurd', 'accrue', 'acme', 'adrift', 'adult', 'afflict', 'ahead',
  'aimless', 'Algol', 'allow', 'alone', 'ammo', 'ancient', 'apple', 'artist',
  'assume', 'Athens', 'atlas', 'Aztec', 'baboon', 'backfield', 'backward', 'banjo',
  'beaming', 'bedlamp', 'beehive', 'beeswax', 'befriend', 'Belfast', 'berserk', 'billiard',
  'bison', 'blackjack', 'blockade', 'blowtorch', 'bluebird', 'bombast', 'bookshelf', 'brackish',
  'breadline', 'breakup', 'brickyard', 'briefcase', 'Burbank', 'button', 'buzzard', 'cement',
  'chairlift', 'chatter', 'checkup', 'chisel', 'choking', 'chopper', 'Christmas', 'clamshell',
  'classic', 'classroom', 'cleanup', 'clockwork', 'cobra', 'commence', 'concert', 'cowbell',
  'crackdown', 'cranky', 'crowfoot', 'crucial', 'crumpled', 'crusade', 'cubic', 'dashboard',
  'deadbolt', 'deckhand', 'dogsled', 'dragnet', 'drainage', 'dreadful', 'drifter', 'dropper',
  'drumbeat', 'drunken', 'Dupont', 'dwelling', 'eating', 'edict', 'egghead', 'eightball',
  'endorse', 'endow', 'enlist', 'erase', 'escape', 'exceed', 'eyeglass', 'eyetooth',
  'facial', 'fallout', 'flagpole', 'flatfoot', 'flytrap', 'fracture', 'framework', 'freedom',
  'frighten', 'gazelle', 'Geiger', 'glitter', 'glucose', 'goggles', 'goldfish', 'gremlin',
  'guidance', 'hamlet', 'highchair', 'hockey', 'indoors', 'indulge', 'inverse', 'involve',
  'island', 'jawbone', 'keyboard', 'kickoff', 'kiwi', 'klaxon', 'locale', 'lockup',
  'merit', 'minnow', 'miser', 'Mohawk', 'mural', 'music', 'necklace', 'Neptune',
  'newborn', 'nightbird', 'Oakland', 'obtuse', 'offload', 'optic', 'orca', 'payday',
  'peachy', 'pheasant', 'physique', 'playhouse', 'Pluto', 'preclude', 'prefer', 'preshrunk',
  'printer', 'prowler', 'pupil', 'puppy', 'python', 'quadrant', 'quiver', 'quota',
  'ragtime', 'ratchet', 'rebirth', 'reform', 'regain', 'reindeer', 'rematch', 'repay',
  'retouch', 'revenge', 'reward', 'rhythm', 'ribcage', 'ringbolt', 'robust', 'rocker',
  'ruffled', 'sailboat', 'sawdust', 'scallion', 'scenic', 'scorecard', 'Scotland', 'seabird',
  'select', 'sentence', 'shadow', 'shamrock', 'showgirl', 'skullcap', 'skydive', 'slingshot',
  'slowdown', 'snapline', 'snapshot', 'snowcap', 'snowslide', 'solo', 'southward', 'soybean',
  'spaniel', 'spearhead', 'spellbind', 'spheroid', 'spigot', 'spindle', 'spyglass', 'stagehand',
  'stagnate', 'stairway', 'standard', 'stapler', 'steamship', 'sterling', 'stockman', 'stopwatch',
  'stormy', 'sugar', 'surmount', 'suspense', 'sweatband', 'swelter', 'tactics', 'talon',
  'tapeworm', 'tempest', 'tiger', 'tissue', 'tonic', 'topmost', 'tracker', 'transit',
  'trauma', 'treadmill', 'Trojan', 'trouble', 'tumor', 'tunnel', 'tycoon', 'uncut',
  'unearth', 'unwind', 'uproot', 'upset', 'upshot', 'vapor', 'village', 'virus',
  'Vulcan', 'waffle', 'wallet', 'watchword', 'wayside', 'willow', 'woodlark', 'Zulu',
];

// prettier-ignore
export const PGP_ODD_WORDS: readonly string[] = [
  'adroitness', 'adviser', 'aftermath', 'aggregate', 'alkali', 'almighty', 'amulet', 'amusement',
  'antenna', 'applicant', 'Apollo', 'armistice', 'article', 'asteroid', 'Atlantic', 'atmosphere',
  'autopsy', 'Babylon', 'backwater', 'barbecue', 'belowground', 'bifocals', 'bodyguard', 'bookseller',
  'borderline', 'bottomless', 'Bradbury', 'bravado', 'Brazilian', 'breakaway', 'Burlington', 'businessman',
  'butterfat', 'Camelot', 'candidate', 'cannonball', 'Capricorn', 'caravan', 'caretaker', 'celebrate',
  'cellulose', 'certify', 'chambermaid', 'Cherokee', 'Chicago', 'clergyman', 'coherence', 'combustion',
  'commando', 'company', 'component', 'concurrent', 'confidence', 'conformist', 'congregate', 'consensus',
  'consulting', 'corporate', 'corrosion', 'councilman', 'crossover', 'crucifix', 'cumbersome', 'customer',
  'Dakota', 'decadence', 'December', 'decimal', 'designing', 'detector', 'detergent', 'determine',
  'dictator', 'dinosaur', 'direction', 'disable', 'disbelief', 'disruptive', 'distortion', 'document',
  'embezzle', 'enchanting', 'enrollment', 'enterprise', 'equation', 'equipment', 'escapade', 'Eskimo',
  'everyday', 'examine', 'existence', 'exodus', 'fascinate', 'filament', 'finicky', 'forever',
  'fortitude', 'frequency', 'gadgetry', 'Galveston', 'getaway', 'glossary', 'gossamer', 'graduate',
  'gravity', 'guitarist', 'hamburger', 'Hamilton', 'handiwork', 'hazardous', 'headwaters', 'hemisphere',
  'hesitate', 'hideaway', 'holiness', 'hurricane', 'hydraulic', 'impartial', 'impetus', 'inception',
  'indigo', 'inertia', 'infancy', 'inferno', 'informant', 'insincere', 'insurgent', 'integrate',
  'intention', 'inventive', 'Istanbul', 'Jamaica', 'Jupiter', 'leprosy', 'letterhead', 'liberty',
  'maritime', 'matchmaker', 'maverick', 'Medusa', 'megaton', 'microscope', 'microwave', 'midsummer',
  'millionaire', 'miracle', 'misnomer', 'molasses', 'molecule', 'Montana', 'monument', 'mosquito',
  'narrative', 'nebula', 'newsletter', 'Norwegian', 'October', 'Ohio', 'onlooker', 'opulent',
  'Orlando', 'outfielder', 'Pacific', 'pandemic', 'Pandora', 'paperweight', 'paragon', 'paragraph',
  'paramount', 'passenger', 'pedigree', 'Pegasus', 'penetrate', 'perceptive', 'performance', 'pharmacy',
  'phonetic', 'photograph', 'pioneer', 'pocketful', 'politeness', 'positive', 'potato', 'processor',
  'provincial', 'proximate', 'puberty', 'publisher', 'pyramid', 'quantity', 'racketeer', 'rebellion',
  'recipe', 'recover', 'repellent', 'replica', 'reproduce', 'resistor', 'responsive', 'retraction',
  'retrieval', 'retrospect', 'revenue', 'revival', 'revolver', 'sandalwood', 'sardonic', 'Saturday',
  'savagery', 'scavenger', 'sensation', 'sociable', 'souvenir', 'specialist', 'speculate', 'stethoscope',
  'stupendous', 'supportive', 'surrender', 'suspicious', 'sympathy', 'tambourine', 'telephone', 'therapist',
  'tobacco', 'tolerance', 'tomorrow', 'torpedo', 'tradition', 'travesty', 'trombonist', 'truncated',
  'typewriter', 'ultimate', 'undaunted', 'underfoot', 'unicorn', 'unify', 'universe', 'unravel',
  'upcoming', 'vacancy', 'vagabond', 'vertigo', 'Virginia', 'visitor', 'vocalist', 'voyager',
  'warranty', 'Waterloo', 'whimsical', 'Wichita', 'Wilmington', 'Wyoming', 'yesteryear', 'Yucatan',
];

/** SHA-256 (hex) of `EVEN.join('\n') + '\n' + ODD.join('\n')`: pins the lists against typos. */
export const PGP_WORDS_SHA256 = 'e9b7b0052233a74aa56724ed3f79c272036aed68d8f4c0856e833c8043b9ac62';

/** The PGP words of `bytes` (even offsets from the even list, odd offsets from the odd list). */
export function pgpWords(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    out.push((i % 2 === 0 ? PGP_EVEN_WORDS[b] : PGP_ODD_WORDS[b]) as string);
  }
  return out;
}

/**
 * Words for a hex fingerprint, space separated. `maxBytes` reads only the first bytes (a full
 * SHA-256 is 32 words; the transcript keeps all 32, screens may show the first 8 to read aloud).
 */
export function fingerprintWords(hex: string, maxBytes?: number): string {
  const b = fromHex(hex);
  return pgpWords(maxBytes === undefined ? b : b.subarray(0, maxBytes)).join(' ');
}

/** Parse words back into bytes; throws INVALID_INPUT naming the first word that is wrong or out of place. */
export function wordsToBytes(words: string): Uint8Array {
  const list = words.trim().split(/\s+/).filter(Boolean);
  const out = new Uint8Array(list.length);
  list.forEach((w, i) => {
    const table = i % 2 === 0 ? PGP_EVEN_WORDS : PGP_ODD_WORDS;
    const idx = table.findIndex((x) => x.toLowerCase() === w.toLowerCase());
    if (idx < 0) {
      throw new KeyceremonyError('INVALID_INPUT', `word ${i + 1} "${w}" is not an ${i % 2 === 0 ? 'even' : 'odd'}-position PGP word`, {
        where: `word ${i + 1}`,
      });
    }
    out[i] = idx;
  });
  return out;
}
