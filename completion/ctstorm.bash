# bash completion for ctstorm, ctstorm-loadgen, ctstorm-responder and
# ctstorm-sampler. The candidates come from the binary being completed
# (`PROG --complete LINE`, LINE the command line up to the cursor), out of
# the option tables that parse its command line: subcommands, options, an
# option's words, catalogue names, a scenario's variants, --set's
# SECTION.KEY= and each key's words. Files are left to readline.

_ctstorm()
{
	local line=${COMP_LINE:0:COMP_POINT}
	local -a reply
	mapfile -t reply < <("$1" --complete "$line" 2>/dev/null)
	# bash has split the word being completed at '=' and ':' (COMP_WORDBREAKS);
	# the candidates are whole words, so take off what precedes the last break
	local word=${line##*[[:blank:]]} breaks=${COMP_WORDBREAKS//[^=:]/} lead=
	[[ -n $breaks ]] && lead=${word%"${word##*[$breaks]}"}
	COMPREPLY=("${reply[@]#"$lead"}")
	if [[ ${#COMPREPLY[@]} -eq 1 && ${COMPREPLY[0]} == *[=:] ]]; then
		compopt -o nospace 2>/dev/null
	fi
}
complete -o default -F _ctstorm ctstorm ctstorm-loadgen ctstorm-responder ctstorm-sampler
